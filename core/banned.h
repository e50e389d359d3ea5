/*
 * banned.h: functions that are too easy to misuse: any use is a compile
 * error (git's banned.h).
 */
#ifndef PBI_BANNED_H
#define PBI_BANNED_H

/* Declare the real functions first, so later includes change nothing. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BANNED(f) sorry_##f##_is_banned

#undef strcpy
#define strcpy(x, y)	BANNED(strcpy)
#undef strcat
#define strcat(x, y)	BANNED(strcat)
#undef sprintf
#define sprintf(...)	BANNED(sprintf)
#undef vsprintf
#define vsprintf(...)	BANNED(vsprintf)
#undef strtok
#define strtok(x, y)	BANNED(strtok)
#undef gmtime
#define gmtime(t)	BANNED(gmtime)
#undef localtime
#define localtime(t)	BANNED(localtime)

#endif /* PBI_BANNED_H */
