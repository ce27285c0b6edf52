/*  gy-keygen DIR NAME — writes a CURVE certificate pair for the bus:
 *  DIR/NAME (public: give it to the peer, or put it in a server's clients
 *  folder) and DIR/NAME_secret (keep it; mode 0600).  Prints the public key. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gy_bus.h"
#include "gy_util.h"

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: gy-keygen DIR NAME\n"
                        "Writes DIR/NAME (public certificate) and DIR/NAME_secret.\n");
        return 2;
    }
    gy_log_init("gy-keygen", "warning");
    if (mkdir(argv[1], 0700) < 0) {
        struct stat st;
        if (stat(argv[1], &st) < 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "gy-keygen: could not create folder \"%s\"\n", argv[1]);
            return 1;
        }
    }
    char public_z85[41];
    if (gy_bus_keygen(argv[1], argv[2], public_z85) < 0)
        return 1;
    printf("%s\n", public_z85);
    return 0;
}
