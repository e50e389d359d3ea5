/*
 * pbix.c: is a file a Power BI package?  A .pbix is an OPC package: a zip
 * whose central directory lists [Content_Types].xml and the report or
 * model parts.  Checked before any call, so a wrong file costs nothing.
 */
#include "provision.h"

#include <string.h>

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

const struct pbi_err *
pbi_pbix_check(const char *path, const unsigned char *b, size_t n)
{
	const unsigned char	*eocd = NULL, *p, *end;
	uint64_t		 cdoff, cdsize, z64, count64, i;
	uint16_t		 count, nl, xl, cl;
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
		return pbi_err(PBI_ERR_INPUT, "'%s' is not a .pbix package "
		    "(truncated zip archive)", path);
	count = le16(eocd + 10);
	cdsize = le32(eocd + 12);
	cdoff = le32(eocd + 16);
	/*
	 * ZIP64 (a package over 4 GiB or of more than 65,535 parts): the
	 * record's fields are all ones and the real ones are in the ZIP64
	 * end of central directory record, which the locator just before
	 * the record points at.
	 */
	if (count == 0xffff || cdsize == 0xffffffff || cdoff == 0xffffffff) {
		if (eocd - b < 20 || memcmp(eocd - 20, "PK\006\007", 4) != 0)
			return pbi_err(PBI_ERR_INPUT, "'%s' is not a .pbix "
			    "package (bad zip64 locator)", path);
		z64 = le64(eocd - 20 + 8);
		if (z64 > n || n - z64 < 56 ||
		    memcmp(b + z64, "PK\006\006", 4) != 0)
			return pbi_err(PBI_ERR_INPUT, "'%s' is not a .pbix "
			    "package (bad zip64 directory record)", path);
		count64 = le64(b + z64 + 32);
		cdsize = le64(b + z64 + 40);
		cdoff = le64(b + z64 + 48);
	} else
		count64 = count;
	if (cdoff > n || cdsize > n - cdoff)
		return pbi_err(PBI_ERR_INPUT, "'%s' is not a .pbix package "
		    "(bad zip directory)", path);
	p = b + cdoff;
	end = p + cdsize;
	for (i = 0; i < count64; i++) {
		if (end - p < 46 || memcmp(p, "PK\001\002", 4) != 0)
			return pbi_err(PBI_ERR_INPUT, "'%s' is not a .pbix "
			    "package (bad zip directory)", path);
		nl = le16(p + 28);
		xl = le16(p + 30);
		cl = le16(p + 32);
		if (end - p < 46 + nl + xl + cl)
			return pbi_err(PBI_ERR_INPUT, "'%s' is not a .pbix "
			    "package (bad zip directory)", path);
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
