/**
 * The {@link io.netns.Firewall} implementation over {@code iptables-restore} and {@code iptables-save}
 * (and {@code ip6tables-*}) for filtering and masquerade, and native nf_tables rules for the DNAT of
 * published ports: {@link io.netns.iptables.IptablesFirewall}, registered in
 * {@code META-INF/services/io.netns.Firewall}.
 *
 * <p>The rule model is plain values: a {@link io.netns.iptables.Rule} (chain, match arguments, owner comment,
 * target) is checked when it is made and renders to the line {@code iptables-save} would print for it;
 * {@link io.netns.iptables.Ruleset} parses a dump back, keeping foreign rules as opaque lines;
 * {@link io.netns.iptables.IptablesRestoreWriter} builds one {@code --noflush} transaction.
 *
 * <p>What a bridge network, a published port and a host-mode opening write (network {@code nsbr0},
 * subnet {@code 10.89.0.0/24}, sandbox {@code 10.89.0.2}, {@code -p 8080:80}, opening {@code 192.0.2.1:7000}):
 * <pre>
 * *filter
 * -A NETNS-INPUT -d 192.0.2.1/32 -p tcp -m tcp --dport 7000 -m comment --comment "netns:lab/sandbox/h1" -j ACCEPT
 * -A NETNS-FORWARD -i nsbr0 -m comment --comment "netns:lab/network/nsbr0" -j ACCEPT
 * -A NETNS-FORWARD -o nsbr0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "netns:lab/network/nsbr0" -j ACCEPT
 * -A NETNS-FORWARD ! -i nsbr0 -o nsbr0 -m conntrack --ctstate DNAT -m comment --comment "netns:lab/network/nsbr0" -j ACCEPT
 * *nat
 * -A NETNS-POSTROUTING -s 10.89.0.0/24 ! -o nsbr0 -m comment --comment "netns:lab/network/nsbr0" -j MASQUERADE
 * -A NETNS-POSTROUTING -s 10.89.0.0/24 -o nsbr0 -m conntrack --ctstate DNAT -m comment --comment "netns:lab/network/nsbr0" -j MASQUERADE
 * -A NETNS-POSTROUTING -s 127.0.0.0/8 -o nsbr0 -m comment --comment "netns:lab/network/nsbr0" -j MASQUERADE
 * </pre>
 * plus, once per chain, {@code -I INPUT 1 -m comment --comment "netns:chain" -j NETNS-INPUT} and its
 * siblings; and in {@code nft list table ip netns} (maps and rules made once per host, whatever the number
 * of published ports; each published port one element with its owner's tag):
 * <pre>
 * map ports { type inet_proto . inet_service : ipv4_addr . inet_service
 *     elements = { tcp . 8080 comment "netns:lab/sandbox/web" : 10.89.0.2 . 80 } }
 * map port_ranges { type inet_proto . inet_service : ipv4_addr; flags interval }
 * map addr_ports { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service }
 * map addr_port_ranges { type ipv4_addr . inet_proto . inet_service : ipv4_addr; flags interval }
 * chain prerouting { type nat hook prerouting priority dstnat; policy accept;
 *     ip daddr != 127.0.0.0/8 fib daddr type local dnat ip to meta l4proto . th dport map @ports
 *     ... one lookup per map }
 * chain output { type nat hook output priority -100; policy accept;
 *     fib daddr type local dnat ip to meta l4proto . th dport map @ports
 *     ... one lookup per map }
 * chain input { type filter hook input priority filter; policy accept;
 *     ip saddr != 127.0.0.0/8 ip daddr 127.0.0.0/8 ct status ! dnat ct state ! established,related counter drop
 *     comment "netns:localnet-guard" }
 * </pre>
 * The last chain, the localnet guard, exists while an element that DNATs the host's 127.0.0.1 exists (it
 * needs {@code route_localnet=1}).
 * Why the DNAT is native nf_tables, in maps: see {@code NatTable}. The golden files under
 * {@code src/test/resources/golden} pin every variant.
 */
package io.netns.iptables;
