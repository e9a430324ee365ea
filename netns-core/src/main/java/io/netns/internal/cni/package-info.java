/**
 * Internal use only: the CNI runtime behind {@code NetworkMode.cni}. {@link io.netns.internal.cni.CniConfig}
 * loads network configuration lists as libcni does, {@link io.netns.internal.cni.CniRuntime} runs their
 * plugins (VERSION, STATUS, ADD, DEL, CHECK, GC) as child processes with the spec's environment and a time
 * limit, {@link io.netns.internal.cni.CniCache} keeps each attachment's result under the state directory in
 * libcni's format, and {@link io.netns.internal.cni.Json} is the small strict JSON reader and writer they
 * share, so netns-core needs no JSON library. Used by {@code io.netns} only; not exported.
 */
package io.netns.internal.cni;
