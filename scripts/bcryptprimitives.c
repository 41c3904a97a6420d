/* A stand-in for Windows 10's bcryptprimitives.dll, which Wine 8.0 lacks.
 * Go 1.26 binaries import ProcessPrng from it at start-up; this one fills
 * the buffer from advapi32's RtlGenRandom. Used only to run tests under
 * Wine (scripts/wine-test.sh). */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
