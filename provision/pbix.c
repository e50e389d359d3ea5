/*
 * pbix.c: is a file a Power BI package?  A .pbix is an OPC package: a zip
 * whose central directory lists [Content_Types].xml and the report or
 * model parts.  Checked before any call, so a wrong file costs nothing.
 * Packages over 4 GiB are ZIP64 (APPNOTE 4.3.14-4.3.15, 4.5.3): the end
 * of central directory then defers to a ZIP64 record that a locator
 * finds.  Only the end of the file, the directory and each entry's local
 * header signature are read, never the data.
 */
#include "provision.h"

#include <string.h>

#define U16MAX	0xffffu
#define U32MAX	0xffffffffu

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static const struct pbi_err *
bad(const char *path, const char *why)
{
	return pbi_err(PBI_ERR_INPUT, "'%s' is not a .pbix package (%s)",
	    path, why);
}

/*
 * The directory of the archive b (n bytes) whose end of central
 * directory record is at eocd: where it starts, its size and entries,
 * from the ZIP64 record when the record says so.  *limit is where the
 * directory must end (the ZIP64 record or the end record).
 */
static const struct pbi_err *
directory(const char *path, const unsigned char *b, size_t n,
    const unsigned char *eocd, uint64_t *off, uint64_t *size,
    uint64_t *count, uint64_t *limit)
{
	const unsigned char	*loc, *z;
	uint64_t		 zoff;

	*count = le16(eocd + 10);
	*size = le32(eocd + 12);
	*off = le32(eocd + 16);
	*limit = (uint64_t)(eocd - b);
	loc = eocd - b >= 20 ? eocd - 20 : NULL;
	if (loc == NULL || memcmp(loc, "PK\006\007", 4) != 0) {
		if (*count == U16MAX || *size == U32MAX || *off == U32MAX)
			return bad(path, "ZIP64 archive without its locator");
		return NULL;
	}
	/* The ZIP64 end of central directory record, before its locator. */
	zoff = le64(loc + 8);
	if (le32(loc + 4) != 0 || le32(loc + 16) > 1 ||
	    zoff > (uint64_t)(loc - b) || (uint64_t)(loc - b) - zoff < 56)
		return bad(path, "bad ZIP64 locator");
	z = b + zoff;
	if (memcmp(z, "PK\006\006", 4) != 0 || le64(z + 4) < 44 ||
	    le64(z + 4) > (uint64_t)(loc - z) - 12 ||
	    le32(z + 16) != 0 || le32(z + 20) != 0 ||
	    le64(z + 24) != le64(z + 32))
		return bad(path, "bad ZIP64 end of central directory record");
	*count = le64(z + 32);
	*size = le64(z + 40);
	*off = le64(z + 48);
	*limit = zoff;
	(void)n;
	return NULL;
}

/*
 * The entry's local header offset: the 32-bit field, or the one in its
 * ZIP64 extra field (0x0001: the sizes and the offset that are
 * 0xffffffff in the fixed fields, 8 bytes each, in that order).
 * Returns -1 when a ZIP64 value the entry needs is missing.
 */
static int
entry_offset(const unsigned char *e, uint64_t *off)
{
	const unsigned char	*x = e + 46 + le16(e + 28), *xend;
	uint16_t		 id, len;
	size_t			 need, at;

	*off = le32(e + 42);
	need = (le32(e + 24) == U32MAX) * 8 + (le32(e + 20) == U32MAX) * 8;
	if (*off != U32MAX && need == 0)
		return 0;
	for (xend = x + le16(e + 30); xend - x >= 4; x += 4 + len) {
		id = le16(x);
		len = le16(x + 2);
		if (len > xend - x - 4)
			return -1;
		if (id != 0x0001)
			continue;
		at = need;
		if (*off == U32MAX) {
			if (len < at + 8)
				return -1;
			*off = le64(x + 4 + at);
		} else if (len < at)
			return -1;
		return 0;
	}
	return -1;
}

const struct pbi_err *
pbi_pbix_check(const char *path, const unsigned char *b, size_t n)
{
	const struct pbi_err	*err;
	const unsigned char	*eocd = NULL, *p, *end;
	uint64_t		 cdoff, cdsize, count, limit, i, loff;
	uint16_t		 nl, xl, cl;
	int			 types = 0, parts = 0;
	size_t			 k;

	if (n < 22 || memcmp(b, "PK\003\004", 4) != 0)
		return pbi_err(PBI_ERR_INPUT, "'%s' is not a .pbix package "
		    "(not a zip archive)", path);
	/* The end of central directory record, within 64 KiB of the end. */
	for (k = n - 22; ; k--) {
		if (memcmp(b + k, "PK\005\006", 4) == 0) {
			eocd = b + k;
			break;
		}
		if (k == 0 || n - k > 65557)
			break;
	}
	if (eocd == NULL)
		return bad(path, "truncated zip archive");
	if ((err = directory(path, b, n, eocd, &cdoff, &cdsize, &count,
	    &limit)) != NULL)
		return err;
	if (cdoff > limit || cdsize > limit - cdoff)
		return bad(path, "bad zip directory");
	p = b + cdoff;
	end = p + cdsize;
	for (i = 0; i < count; i++) {
		if (end - p < 46 || memcmp(p, "PK\001\002", 4) != 0)
			return bad(path, "bad zip directory");
		nl = le16(p + 28);
		xl = le16(p + 30);
		cl = le16(p + 32);
		if (end - p < 46 + nl + xl + cl)
			return bad(path, "bad zip directory");
		/* Each entry's data starts before the directory. */
		if (entry_offset(p, &loff) == -1)
			return bad(path, "bad ZIP64 extra field");
		if (cdoff < 4 || loff > cdoff - 4 ||
		    memcmp(b + loff, "PK\003\004", 4) != 0)
			return bad(path, "bad zip entry offset");
#define IS(s) (nl == sizeof(s) - 1 && memcmp(p + 46, s, nl) == 0)
		if (IS("[Content_Types].xml"))
			types = 1;
		else if (IS("Report/Layout") || IS("DataModel") ||
		    IS("DataModelSchema"))
			parts = 1;
#undef IS
		p += 46 + nl + xl + cl;
	}
	if (!types || !parts)
		return pbi_err(PBI_ERR_INPUT, "'%s' is a zip archive but not a "
		    ".pbix package (no %s)", path, !types ?
		    "[Content_Types].xml" : "Report/Layout or DataModel part");
	return NULL;
}
