package io.trustline.ca.internal;

import io.trustline.ca.InsecureFileException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Files readable and writable by their owner only (0600; directories 0700). The permissions are
 * set as the file is created, so there is no moment in which another user could open it.
 */
public final class OwnerOnlyFiles {

    private static final FileAttribute<Set<PosixFilePermission>> FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE);

    private OwnerOnlyFiles() {}

    /** Creates a directory (and missing parents) with mode 0700; an existing one is left as it is. */
    public static void createDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, DIRECTORY);
        }
    }

    /**
     * Writes a new file with mode 0600.
     *
     * @throws FileAlreadyExistsException if it exists
     */
    public static void writeNew(Path file, byte[] content) throws IOException {
        try (FileChannel channel =
                FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), FILE)) {
            write(channel, content);
        }
    }

    /** Replaces a file atomically with new content, mode 0600, through a temporary file beside it. */
    public static void replace(Path file, byte[] content) throws IOException {
        final Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        writeNew(temporary, content);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Opens a file for appending, creating it with mode 0600 if missing. */
    public static FileChannel openAppend(Path file) throws IOException {
        return FileChannel.open(
                file, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND), FILE);
    }

    /** Opens (creating with mode 0600 if missing) a file for writing, e.g. as a lock. */
    public static FileChannel openForLock(Path file) throws IOException {
        return FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), FILE);
    }

    /** Opens a stream to a new file with mode 0600. */
    public static OutputStream newOutputStream(Path file) throws IOException {
        return Channels.newOutputStream(
                FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), FILE));
    }

    /**
     * Refuses a file that its group or other users may access.
     *
     * @throws InsecureFileException naming the file and its mode
     * @throws IOException if the file cannot be read or the file system has no POSIX permissions
     */
    public static void checkOwnerOnly(Path file) throws IOException {
        final Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            // Failing closed: without POSIX permissions we cannot tell who may read the key.
            throw new InsecureFileException(file + ": file system has no POSIX permissions; cannot check access");
        }
        final Set<PosixFilePermission> loose = EnumSet.noneOf(PosixFilePermission.class);
        loose.addAll(permissions);
        loose.retainAll(GROUP_OR_OTHER);
        if (!loose.isEmpty()) {
            throw new InsecureFileException(file + ": permissions " + PosixFilePermissions.toString(permissions)
                    + " let group or others access it (expected: owner-only, e.g. chmod 600)");
        }
    }

    private static void write(FileChannel channel, byte[] content) throws IOException {
        final java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        channel.force(true);
    }
}
