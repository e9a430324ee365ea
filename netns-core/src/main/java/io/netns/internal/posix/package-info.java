/**
 * Internal use only: the C library through jnr-ffi. {@link io.netns.internal.posix.Native} declares only the
 * calls netns makes; every wrapper checks the result, reads {@code errno} at once and throws a
 * {@link io.netns.NetnsException} built by {@code NetnsException.of} (errno values from jnr-constants).
 * {@link io.netns.internal.posix.FileDescriptor} is the one ownership model of a descriptor: references for
 * borrowers, an idempotent close that calls {@code close(2)} once and never retries it.
 */
package io.netns.internal.posix;
