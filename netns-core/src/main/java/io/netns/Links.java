package io.netns;

import io.netns.rtnl.RtnlClient;

/** Link changes the modes need in a namespace of their own, over one short-lived rtnetlink client. */
final class Links {
    private Links() {
    }

    static void up(NetNamespace ns, String link) throws NetnsException {
        try (RtnlClient c = RtnlClient.open(ns)) {
            c.setUp(link);
        }
    }
}
