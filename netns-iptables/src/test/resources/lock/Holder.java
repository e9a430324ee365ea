import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Run as a single-file program by LockIT, as nobody or as root: holds a lock on a file ("share": a read
 * lock of the whole file on a read-only descriptor; "byte N": a write lock on byte N) until killed, or
 * tries to use a file and its directory ("use").
 */
public class Holder {
    public static void main(String[] args) throws Exception {
        Path f = Path.of(args[1]);
        switch (args[0]) {
            case "share" -> {
                FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
                ch.lock(0, Long.MAX_VALUE, true);
                System.out.println("held");
                Thread.sleep(600_000);
            }
            case "byte" -> {
                FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
                ch.lock(Long.parseLong(args[2]), 1, false);
                System.out.println("held");
                Thread.sleep(600_000);
            }
            case "use" -> {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    ch.lock(0, Long.MAX_VALUE, true);
                    System.out.println("open: locked");
                } catch (Exception e) {
                    System.out.println("open: denied " + e);
                }
                try {
                    Files.createFile(f.resolveSibling("nobody-was-here"));
                    System.out.println("create: made");
                } catch (Exception e) {
                    System.out.println("create: denied " + e);
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
