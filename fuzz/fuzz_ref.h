/*-------------------------------------------------------------------------
 *
 * fuzz_ref.h
 *		  Reference checks the fuzz targets share, written apart from the
 *		  code under test.
 *
 * IDENTIFICATION
 *		  fuzz/fuzz_ref.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FUZZ_REF_H
#define FUZZ_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A plain, byte-at-a-time UTF-8 check (RFC 3629). */
static bool
fuzz_utf8_ok(const unsigned char *p, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		unsigned char c = p[i];
		uint32_t	cp;
		int			len;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC0 && c <= 0xDF)
			len = 2, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			len = 3, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF7)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (n - i < (size_t) len)
			return false;
		for (int k = 1; k < len; k++)
		{
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
			(len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

#endif							/* FUZZ_REF_H */
