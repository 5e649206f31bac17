package io.ferry.core;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * core's tests make their temporary directories through {@link TestDirectories} (or a JUnit rule that deletes its
 * own): one made straight in java.io.tmpdir stays there after the run, and the engine tests make thousands.
 */
public class TestDirectoriesGuardTest {
    /** A temporary file or directory in java.io.tmpdir: its first argument is the prefix, not a directory. */
    private static final Pattern IN_SYSTEM_TMP = Pattern.compile("(Files\\.createTemp(Directory|File)|File\\.createTempFile)\\(\\s*\"");

    @Test
    public void noTestMakesItsTemporaryFilesStraightInTheSystemsTemporaryDirectory() throws IOException {
        List<String> offenders;
        try (Stream<Path> sources = Files.walk(Path.of("src/test/java"))) {
            offenders = sources.filter(file -> file.toString().endsWith(".java"))
                    .filter(file -> !file.getFileName().toString().equals("TestDirectories.java")).filter(TestDirectoriesGuardTest::makesOne)
                    .map(Path::toString).sorted().toList();
        }
        assertEquals("tests that leave temporary files in java.io.tmpdir (use TestDirectories.create)", List.of(), offenders);
    }

    private static boolean makesOne(Path source) {
        try {
            return IN_SYSTEM_TMP.matcher(Files.readString(source)).find();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
