/*
 * Writes the status file (--status) on a thread of its own: a temporary file,
 * then rename() over the old one, so that readers see a whole file. The
 * rename frees the old file's blocks, which on a file system mounted with
 * `discard` waits for the disk to discard them: 20-320 ms on the bench's VM
 * (ext4 on virtio), long enough for an event loop doing it once a second to
 * miss 10 ms heartbeats by tens of them. The loop hands the text over and
 * goes on; a text not yet written when a newer one comes is replaced by it.
 *
 * The thread starts at the first text, not before: capabilities are per
 * thread, and it must inherit the ones the daemon kept. It runs under
 * SCHED_OTHER whatever the loop runs under. Without a thread it writes in
 * place, as before.
 */
#ifndef VIPCAST_SPEAKER_STATUS_WRITER_H
#define VIPCAST_SPEAKER_STATUS_WRITER_H

struct status_writer;

struct status_writer *status_writer_new(const char *path);
/* Takes text (malloc'd): written to the path soon, unless a newer text comes first. */
void status_writer_put(struct status_writer *w, char *text);
/* Writes what is still pending, then stops the thread. */
void status_writer_free(struct status_writer *w);

#endif
