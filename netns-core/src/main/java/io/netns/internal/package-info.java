/**
 * Internal use only, exported to the netns modules alone: one home per fact shared by them.
 * {@link io.netns.internal.Inet} parses IP literals (never a name lookup) and prints addresses,
 * {@link io.netns.internal.ProcNet} parses {@code /proc/net/{tcp,udp}[6]} into the same socket shape as
 * sock_diag, and the state directory, owner records, names and the privilege gate live here too.
 */
package io.netns.internal;
