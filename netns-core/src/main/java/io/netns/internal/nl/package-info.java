/**
 * Internal use only: netlink. {@link io.netns.internal.nl.NetlinkSocket} is the one engine every netlink
 * conversation of netns goes through (rtnetlink for {@code RtnlClient}, sock_diag, nf_tables for the
 * firewall module): it owns its descriptor and buffers, matches replies by sequence number and port id,
 * turns {@code NLMSG_ERROR} into {@link io.netns.NetlinkException}, retries interrupted dumps and bounds
 * every wait. Beside it, codecs that make no system call: rtnetlink ({@code NlMsgHdr}, {@code RtAttr},
 * {@code IfInfoMsg}, {@code IfAddrMsg}, {@code RtMsg}, {@code NlReplies}), {@link io.netns.internal.nl.SockDiag}
 * and {@link io.netns.internal.nl.NfTables}, named after the kernel's UAPI headers.
 */
package io.netns.internal.nl;
