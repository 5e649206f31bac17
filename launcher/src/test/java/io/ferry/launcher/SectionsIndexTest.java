package io.ferry.launcher;

import static org.junit.Assert.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The offline sections listing kept for an installation whose files did not change. */
public class SectionsIndexTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private FerryHome home;
    private final AtomicInteger asked = new AtomicInteger();

    @Before
    public void installation() throws Exception {
        Path root = folder.getRoot().toPath();
        for (String dir : new String[] {"bundle", "deploy", "etc", "lib"}) {
            Files.createDirectories(root.resolve(dir));
        }
        Files.writeString(root.resolve("bundle/section-a.jar"), "a");
        Files.writeString(root.resolve("etc/io.ferry.daemon.cfg"), "");
        home = new FerryHome(root);
    }

    private String sections() throws Exception {
        return SectionsIndex.sections(home, () -> "<sections n='" + asked.incrementAndGet() + "'/>");
    }

    @Test
    public void theFrameworkIsAskedOnceWhileTheFilesStayTheSame() throws Exception {
        assertEquals("<sections n='1'/>", sections());
        assertEquals("<sections n='1'/>", sections());
        assertEquals(1, asked.get());
    }

    @Test
    public void aBundleDroppedInDeployOrReplacedOrASettingChangedAsksAgain() throws Exception {
        sections();
        Path root = home.root();
        Files.writeString(root.resolve("deploy/section-b.jar"), "b");
        assertEquals("<sections n='2'/>", sections());
        Files.writeString(root.resolve("bundle/section-a.jar"), "A"); // same size, another time
        Files.setLastModifiedTime(root.resolve("bundle/section-a.jar"), FileTime.fromMillis(1_000));
        assertEquals("<sections n='3'/>", sections());
        Files.writeString(root.resolve("etc/io.ferry.daemon.cfg"), "lockManager = none\n");
        assertEquals("<sections n='4'/>", sections());
        Files.delete(root.resolve("deploy/section-b.jar"));
        assertEquals("<sections n='5'/>", sections());
        assertEquals("<sections n='5'/>", sections());
    }

    @Test
    public void anInstallationThatCannotBeWrittenKeepsItsListingInTheUsersCache() throws Exception {
        Path lib = home.root().resolve("lib");
        Files.delete(lib);
        Files.writeString(lib, "not a directory"); // lib/sections.index cannot be written, even by root
        Path user = folder.newFolder("user").toPath();
        String before = System.getProperty("user.home");
        System.setProperty("user.home", user.toString());
        try {
            assertEquals("<sections n='1'/>", sections());
            assertEquals("<sections n='1'/>", sections());
        } finally {
            System.setProperty("user.home", before);
        }
        assertEquals(1, asked.get());
        try (Stream<Path> kept = Files.list(user.resolve(".cache/ferry"))) {
            assertEquals(1, kept.filter(file -> file.getFileName().toString().matches("sections-[0-9a-f]{16}\\.index")).count());
        }
    }
}
