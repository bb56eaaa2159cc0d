/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_MESSAGES_H
#define BENCH_MESSAGES_H

/* Realistic carrier messages used by the parser benchmark. */

/* ~600 bytes: an INVITE from a peering SBC with an SDP offer. */
static const char bench_invite600[] =
	"INVITE sip:+4930123456789@198.51.100.10:5060;user=phone SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK-524287-1---a3f9c1d2e4b5;rport\r\n"
	"Max-Forwards: 69\r\n"
	"From: \"Alice\" <sip:+4420794608@203.0.113.7>;tag=9fxced76sl\r\n"
	"To: <sip:+4930123456789@198.51.100.10;user=phone>\r\n"
	"Call-ID: 3848276298220188511@203.0.113.7\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:+4420794608@203.0.113.7:5060>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 226\r\n"
	"\r\n"
	"v=0\r\n"
	"o=- 3724352 3724352 IN IP4 203.0.113.7\r\n"
	"s=-\r\n"
	"c=IN IP4 203.0.113.7\r\n"
	"t=0 0\r\n"
	"m=audio 40000 RTP/AVP 8 0 101\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=ptime:20\r\n"
	"a=sendrecv\r\n"
	"a=x-pad:000\r\n";

/* ~1,000 bytes: an INVITE that crossed five proxies (5 Vias, Record-Routes). */
static const char bench_invite1000[] =
	"INVITE sip:+4930123456789@198.51.100.10 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK5f3a.e7c1b2a9.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.40:5060;branch=z9hG4bK7d2b.c1a3e5f7.0;received=192.0.2.41\r\n"
	"Via: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bK1a9c.d4e6f8a0.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK3e5f.a7b9c1d3.0;rport=5060\r\n"
	"Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK-524287-1---a3f9c1d2e4b5\r\n"
	"Record-Route: <sip:192.0.2.50;lr;ftag=9fxced76sl>\r\n"
	"Record-Route: <sip:192.0.2.40;lr>\r\n"
	"Record-Route: <sip:192.0.2.30;lr;did=a1.b2>\r\n"
	"Max-Forwards: 65\r\n"
	"From: \"Alice Example\" <sip:+4420794608@203.0.113.7;user=phone>;tag=9fxced76sl\r\n"
	"To: <sip:+4930123456789@198.51.100.10;user=phone>\r\n"
	"Call-ID: 3848276298220188511@203.0.113.7\r\n"
	"CSeq: 102 INVITE\r\n"
	"Contact: <sip:+4420794608@203.0.113.7:5060;transport=udp>\r\n"
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO\r\n"
	"Session-Expires: 1800\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 130\r\n"
	"\r\n"
	"v=0\r\n"
	"o=- 3724352 3724352 IN IP4 203.0.113.7\r\n"
	"s=-\r\n"
	"c=IN IP4 203.0.113.7\r\n"
	"t=0 0\r\n"
	"m=audio 40000 RTP/AVP 8 101\r\n"
	"a=rtpmap:8 PCMA/8000\r\n";

static const char bench_ok200[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKsl0123456789abcdef\r\n"
	"Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK-524287-1---a3f9c1d2e4b5;"
	"rport=5060;received=203.0.113.7\r\n"
	"Record-Route: <sip:198.51.100.10;lr>\r\n"
	"From: \"Alice\" <sip:+4420794608@203.0.113.7>;tag=9fxced76sl\r\n"
	"To: <sip:+4930123456789@198.51.100.10;user=phone>;tag=as5e3b8a1f\r\n"
	"Call-ID: 3848276298220188511@203.0.113.7\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:+4930123456789@192.0.2.99:5060>\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static const char bench_register[] =
	"REGISTER sip:registrar.example.net SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.77:5060;branch=z9hG4bK776asdhds;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:alice@example.net>;tag=456248\r\n"
	"To: <sip:alice@example.net>\r\n"
	"Call-ID: 843817637684230@998sdasdh09\r\n"
	"CSeq: 1826 REGISTER\r\n"
	"Contact: <sip:alice@192.0.2.77:5060;transport=udp>;expires=3600;+sip.instance="
	"\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\"\r\n"
	"Expires: 3600\r\n"
	"User-Agent: sipline-bench/1.0\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

#endif
