/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_SORT_H
#define RULES_SORT_H

/*
 * In-place introsort-free quicksort generator for the compiler's big
 * arrays. Not qsort(): glibc's qsort may allocate a copy of the whole
 * array (merge sort), which would double the peak memory of a compile of
 * millions of rules, and its indirect comparator is several times slower.
 * Median-of-three pivots, insertion sort below 16 elements, recursion on
 * the smaller side only (stack depth O(log n)).
 *
 * RULES_DEFINE_SORT(name, type, less) defines
 *   static void name(type *a, size_t n)
 * where less(const type *x, const type *y) is true when *x sorts before *y.
 */

#include <stddef.h>

#define RULES_DEFINE_SORT(name, type, less) \
static void \
name##_ins(type *a, size_t n) \
{ \
	for (size_t i = 1; i < n; i++) { \
		type t = a[i]; \
		size_t j = i; \
		while (j > 0 && less(&t, &a[j - 1])) { \
			a[j] = a[j - 1]; \
			j--; \
		} \
		a[j] = t; \
	} \
} \
static void \
name(type *a, size_t n) \
{ \
	while (n > 16) { \
		size_t m = n / 2, lo = 0, hi = n - 1; \
		type t; \
		if (less(&a[m], &a[lo])) { t = a[m]; a[m] = a[lo]; a[lo] = t; } \
		if (less(&a[hi], &a[m])) { \
			t = a[m]; a[m] = a[hi]; a[hi] = t; \
			if (less(&a[m], &a[lo])) { t = a[m]; a[m] = a[lo]; a[lo] = t; } \
		} \
		type pivot = a[m]; \
		size_t i = 0, j = n - 1; \
		for (;;) { \
			while (less(&a[i], &pivot)) \
				i++; \
			while (less(&pivot, &a[j])) \
				j--; \
			if (i >= j) \
				break; \
			t = a[i]; a[i] = a[j]; a[j] = t; \
			i++; \
			j--; \
		} \
		/* a[0..j] <= pivot <= a[j+1..n) */ \
		size_t left = j + 1; \
		if (left < n - left) { \
			name(a, left); \
			a += left; \
			n -= left; \
		} else { \
			name(a + left, n - left); \
			n = left; \
		} \
	} \
	name##_ins(a, n); \
}

#endif
