/*  router_simhash — near-duplicate detection for clues: a 64-bit SimHash
 *  of the text and the rule that says when two clues are about the same
 *  matter.
 *
 *  Fingerprint (Charikar's SimHash): the text is normalised (ASCII folded
 *  to lower case; white space, ASCII and common CJK punctuation dropped),
 *  cut into shingles of 3 consecutive code points (Chinese has no spaces:
 *  character n-grams are the usual unit), each shingle hashed to 64 bits
 *  (FNV-1a, then the SplitMix64 finaliser so every bit is well mixed), and
 *  bit i of the fingerprint is set when more shingles have bit i set than
 *  not.  Similar texts share most shingles and so differ in few bits.  A
 *  text of fewer than 3 code points is one shingle.
 *
 *  Same matter (router_simhash_same_matter): same field, same county or —
 *  when both have coordinates — within ROUTER_NEAR_KM kilometres, Hamming
 *  distance <= max_distance (default 3), and within the time window
 *  (default 30 days).
 *
 *  Look-up at scale: a cluster is represented by its first clue (leader),
 *  whose fingerprint is stored as four 16-bit bands.  Two fingerprints
 *  within distance 3 differ in at most 3 bands, so at least one band is
 *  equal (pigeonhole): router.cluster has an index per band and the
 *  candidates are the union of four index look-ups among leaders, filtered
 *  by field, time and place, and then by the exact distance.  (A larger
 *  max_distance would need more, narrower bands: the bands are an index,
 *  the distance check is exact.)
 */
#ifndef ROUTER_SIMHASH_H
#define ROUTER_SIMHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTER_SIMHASH_MAX_DISTANCE 3
#define ROUTER_SIMHASH_WINDOW_DAYS  30
#define ROUTER_NEAR_KM              2.0

/*  The fingerprint of UTF-8 text (invalid bytes count as one code point). */
uint64_t router_simhash(const char *text, size_t len);

/*  The fingerprint of a clue: title and description together. */
uint64_t router_simhash_clue(const char *title, const char *description);

/*  Number of differing bits. */
int router_simhash_distance(uint64_t a, uint64_t b);

/*  Band i (0..3) is bits 16*i .. 16*i+15, as a signed 16-bit value so it
 *  fits PostgreSQL's smallint. */
int16_t router_simhash_band(uint64_t hash, int i);

/*  Great-circle distance (haversine, mean Earth radius). */
double router_distance_km(double lat1, double lon1, double lat2, double lon2);

typedef struct {
    const char *field_code;
    const char *region_code;
    bool has_coordinates;
    double lat, lon;
    uint64_t simhash;
    int64_t received_ms;
} router_clue_sig_t;

/*  The rule above, for two clues; the SQL look-up applies the same rule
 *  (services/router/migrations) and this is its reference. */
bool router_simhash_same_matter(const router_clue_sig_t *a, const router_clue_sig_t *b,
                                int max_distance, int64_t window_ms, double near_km);

#endif
