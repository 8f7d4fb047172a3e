/*
 * banned.h - functions that invite overflows are compile errors.
 *
 * Included last by every lib/ and cmd/ source through twin.h.  Use
 * snprintf, strlcpy-like explicit lengths, or the buf_ module instead.
 */
#ifndef TWIN_BANNED_H
#define TWIN_BANNED_H

#define BANNED(f) sorry_##f##_is_banned_in_twin

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef strtok
#define strtok(x, y) BANNED(strtok)

#endif
