/* Runs the office-world example through the C ABI: the README's two
 * episodes side by side in two lanes (the second lane goes inactive after
 * its two steps), printing each step's rewards, done flags and the
 * `steps_to_goal` log, and checks that the props given as bits of a label
 * byte give the same rewards. Then checks that errors are reported, not
 * crashed on.
 * Usage: office ARTIFACT.rwc */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rwc_runtime.h"

static int fail(const char *what) {
  const char *e = rwc_last_error();
  fprintf(stderr, "%s: %s\n", what, e ? e : "(no message)");
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: office ARTIFACT.rwc\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 2; }
  static uint8_t bytes[1 << 20];
  size_t len = fread(bytes, 1, sizeof bytes, f);
  fclose(f);

  RwcProgram *program = rwc_program_load(bytes, len);
  if (!program) return fail("load");
  size_t inputs = rwc_program_input_count(program);
  printf("inputs");
  for (size_t k = 0; k < inputs; k++) {
    uint32_t width = 99;
    int kind = rwc_program_input_kind(program, k, &width);
    printf(" %s:%d:%u", rwc_program_input_name(program, k), kind, width);
  }
  printf("\nlogs");
  for (size_t k = 0; k < rwc_program_log_count(program); k++)
    printf(" %s:%d", rwc_program_log_name(program, k), rwc_program_log_type(program, k));
  printf("\n");

  RwcBatch *batch = rwc_batch_new(program, 2, RWC_CHECK_RANGES | RWC_FAST);
  if (!batch) return fail("batch");

  /* props in input order: coffee, mail, office, decoration; per step, per lane */
  static const uint8_t labels[4][4][2] = {
      /* step 0 */ {{0, 1}, {0, 1}, {0, 0}, {0, 0}},
      /* step 1 */ {{1, 0}, {0, 0}, {0, 0}, {0, 1}},
      /* step 2 */ {{0, 0}, {1, 0}, {0, 0}, {0, 0}},
      /* step 3 */ {{0, 0}, {0, 0}, {1, 0}, {0, 0}},
  };
  /* the same props as bits of one label byte per lane (bit p for prop p),
   * in a second batch: the same rewards */
  RwcBatch *by_bits = rwc_batch_new(program, 2, RWC_FAST);
  if (!by_bits) return fail("batch");
  for (int t = 0; t < 4; t++) {
    RwcColumn columns[4];
    memset(columns, 0, sizeof columns);
    for (int p = 0; p < 4; p++) { columns[p].data = labels[t][p]; columns[p].len = 2; }
    uint8_t active[2] = {1, t < 2};
    float reward[2];
    uint8_t done[2];
    uint32_t steps_to_goal[2];
    if (rwc_batch_step(batch, columns, 4, NULL, NULL, active, reward, done) != 0) return fail("step");
    if (rwc_batch_log(batch, 0, steps_to_goal) != 0) return fail("log");
    uint8_t packed[2] = {0, 0};
    RwcColumn bits[4];
    memset(bits, 0, sizeof bits);
    for (int p = 0; p < 4; p++) {
      for (int l = 0; l < 2; l++) packed[l] |= (uint8_t)(labels[t][p][l] << p);
      bits[p].data = packed; bits[p].len = 2; bits[p].bit_mask = 1u << p;
    }
    float reward_by_bits[2];
    if (rwc_batch_step(by_bits, bits, 4, NULL, NULL, active, reward_by_bits, NULL) != 0) return fail("step by bits");
    if (reward_by_bits[0] != reward[0] || (t < 2 && reward_by_bits[1] != reward[1])) return fail("bits differ");
    printf("step %d: %.9g %d %d", t, reward[0], done[0], (int)steps_to_goal[0]);
    if (t < 2) printf(" | %.9g %d %d", reward[1], done[1], (int)steps_to_goal[1]);
    printf("\n");
  }

  /* errors: reported, never a crash */
  RwcColumn too_few[1];
  memset(too_few, 0, sizeof too_few);
  float reward[2];
  if (rwc_batch_step(batch, too_few, 1, NULL, NULL, NULL, reward, NULL) != -1) return 1;
  printf("error: %s\n", rwc_last_error());
  uint8_t two[2] = {2, 0};
  RwcColumn bad[4];
  memset(bad, 0, sizeof bad);
  for (int p = 0; p < 4; p++) { bad[p].data = two; bad[p].len = 2; }
  if (rwc_batch_step(batch, bad, 4, NULL, NULL, NULL, reward, NULL) != -1) return 1;
  printf("error: %s\n", rwc_last_error());
  bad[0].data = two; bad[0].bit_mask = 3;
  if (rwc_batch_step(by_bits, bad, 4, NULL, NULL, NULL, reward, NULL) != -1) return 1;
  printf("error: %s\n", rwc_last_error());
  rwc_batch_free(by_bits);
  rwc_program_free(program); /* the batches keep what they need */
  if (rwc_program_load((const uint8_t *)"nope", 4) != NULL) return 1;
  printf("error: %s\n", rwc_last_error());
  if (rwc_batch_reset(batch, 7, 0) != -1) return 1;
  printf("error: %s\n", rwc_last_error());
  rwc_batch_free(batch);
  return 0;
}
