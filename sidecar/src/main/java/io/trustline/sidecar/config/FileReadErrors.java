package io.trustline.sidecar.config;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Says why a file the config names cannot be read, in the words an operator acts on ("does not exist", "permission
 * denied"), rather than an exception class or a parser's complaint about content it never got.
 */
public final class FileReadErrors {

    /** The cause of {@code e}, raised reading {@code file}. */
    public static String describe(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return "does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return "cannot be read: permission denied";
        }
        if (Files.isDirectory(file)) {
            return "is a directory, not a file";
        }
        return "cannot be read ("
                + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()) + ')';
    }

    /**
     * Reads {@code file} as text.
     *
     * @throws IllegalArgumentException {@code "<name>: <file>: does not exist"} and the like
     */
    public static String readString(String name, Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + ": " + file + ": " + describe(file, e), e);
        }
    }

    private FileReadErrors() {}
}
