/* parnikctl health: one table for the whole cluster. Each replica: does it
 * answer, its node, whether it votes, its epoch and lists, keys held,
 * requests/s and p99 over one second, and how many members it hears.
 * A last line says what is wrong, if anything.
 */
#ifndef CTL_HEALTH_H
#define CTL_HEALTH_H

/* Returns 0 when every replica answers, votes or is a spare, runs the same
 * epoch and hears every member; 1 when something is wrong (the last line
 * says what); 6 when no replica answers; 2 for more than 16 replicas.
 */
int ctl_health(const char *const *paths, unsigned int n);

#endif
