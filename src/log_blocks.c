#include "log_blocks.h"

#include <stdlib.h>
#include <string.h>

#include "its_grow.h"

int log_block_add(log_block_t *b, const iptraf_line_t *l) {
  if (its_grow(&b->entries, &b->cap, b->count + 1, sizeof(*b->entries), 64))
    return -1;
  block_entry_t *e = &b->entries[b->count++];
  e->proto = l->proto;
  e->port = l->port;
  memcpy(e->name, l->name, sizeof(e->name));
  e->in_packets = l->in_packets;
  e->in_bytes = l->in_bytes;
  e->out_packets = l->out_packets;
  e->out_bytes = l->out_bytes;
  return 0;
}

void block_assembler_init(block_assembler_t *a) { memset(a, 0, sizeof(*a)); }

void block_assembler_destroy(block_assembler_t *a) {
  free(a->cur.entries);
  memset(a, 0, sizeof(*a));
}

int block_assembler_pending(const block_assembler_t *a) { return a->in_block; }

static void finish_block(block_assembler_t *a, int complete, block_cb_t cb,
                         void *ud) {
  if (!a->in_block)
    return;
  a->cur.complete = complete;
  a->in_block = 0;
  a->blocks_done++;
  cb(ud, &a->cur);
  a->prev_generated = a->cur.generated;
}

static time_t stamp_to_epoch(block_assembler_t *a, const civil_time_t *ct) {
  time_t t = civil_time_to_epoch(ct, a->last_seen_time);
  if (t != (time_t)-1 && t > a->last_seen_time)
    a->last_seen_time = t;
  return t;
}

void block_assembler_flush(block_assembler_t *a, block_cb_t cb, void *ud) {
  finish_block(a, 0, cb, ud);
}

/* One switch on the line's kind. */
block_note_t block_assembler_feed(block_assembler_t *a, const iptraf_line_t *l,
                                  uint64_t line_no, block_cb_t cb, void *ud) {
  block_note_t note = BLOCK_NOTE_NONE;

  switch (l->kind) {
  case IPTRAF_LINE_BLANK:
  case IPTRAF_LINE_INVALID:
  case IPTRAF_LINE_USR1:
  case IPTRAF_LINE_REOPENED:
    /* Rotation lines: the counters go on unchanged. */
    return BLOCK_NOTE_NONE;

  case IPTRAF_LINE_STARTED:
  case IPTRAF_LINE_STOPPED:
    if (a->in_block) {
      note = BLOCK_NOTE_CUT_BLOCK;
      finish_block(a, 0, cb, ud);
    }
    if (l->garbage_prefix > 0)
      note = BLOCK_NOTE_CUT_LINE;
    if (l->kind == IPTRAF_LINE_STARTED) {
      a->pending_new_run = 1;
      a->run_started = stamp_to_epoch(a, &l->time);
      if (a->run_started == (time_t)-1)
        a->run_started = 0;
      a->prev_generated = 0;
    }
    return note;

  case IPTRAF_LINE_BLOCK_HEADER: {
    if (a->in_block) {
      note = BLOCK_NOTE_CUT_BLOCK;
      finish_block(a, 0, cb, ud);
    }
    time_t t = stamp_to_epoch(a, &l->time);
    if (t == (time_t)-1)
      return BLOCK_NOTE_BAD_TIME;
    a->in_block = 1;
    a->cur.generated = t;
    a->cur.count = 0;
    a->cur.complete = 0;
    a->cur.header_line = line_no;
    a->cur.new_run = a->pending_new_run;
    a->pending_new_run = 0;
    time_t since = a->prev_generated ? a->prev_generated : a->run_started;
    a->cur.gap = (since && t > since) ? t - since : 0;
    return note;
  }

  case IPTRAF_LINE_PORT:
    if (!a->in_block)
      return BLOCK_NOTE_ORPHAN_LINE;
    return log_block_add(&a->cur, l) == 0 ? BLOCK_NOTE_NONE
                                          : BLOCK_NOTE_NO_MEMORY;

  case IPTRAF_LINE_RUNNING_TIME:
    if (!a->in_block)
      return BLOCK_NOTE_ORPHAN_LINE;
    finish_block(a, 1, cb, ud);
    return BLOCK_NOTE_NONE;
  }
  return BLOCK_NOTE_NONE;
}
