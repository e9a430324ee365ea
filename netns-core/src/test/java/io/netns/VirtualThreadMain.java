package io.netns;

import java.lang.reflect.Method;

/**
 * Run in a child JVM of Java 21 or later by {@link VirtualThreadIT}: tries {@code call()} on a virtual
 * thread and prints what happened. Compiled for Java 17, so virtual threads are reached by reflection.
 */
public final class VirtualThreadMain {
    private VirtualThreadMain() {
    }

    /**
     * @param args unused
     * @throws Exception if reflection fails
     */
    public static void main(String[] args) throws Exception {
        NetNamespace ns = NetNamespace.initial();
        String[] result = new String[1];
        Runnable work = () -> {
            try {
                ns.call(() -> 1);
                result[0] = "RAN";
            } catch (IllegalStateException e) {
                result[0] = "REFUSED: " + e.getMessage();
            } catch (Exception e) {
                result[0] = "OTHER: " + e;
            }
        };
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        Method start = Class.forName("java.lang.Thread$Builder").getMethod("start", Runnable.class);
        Thread t = (Thread) start.invoke(builder, work);
        t.join();
        System.out.println(result[0]);
    }
}
