package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/** virsh's flags as the messages spell them; {@code unsafe} (virsh migrate --unsafe) is the newest. */
public class MigrationFlagsTest {
    @Test
    public void aRequestWithoutUnsafeMeansFalse() throws Exception {
        MigrationFlags flags = MigrationFlags.parse("live,p2p,persistent");
        assertFalse(flags.unsafe());
        assertEquals(new MigrationFlags(true, true, false, false, true, false, false), flags);
        assertFalse(MigrationFlags.parse(null).unsafe());
    }

    @Test
    public void unsafeIsReadAndWrittenLast() throws Exception {
        MigrationFlags flags = MigrationFlags.parse("unsafe,live");
        assertTrue(flags.unsafe());
        assertTrue(flags.live());
        assertEquals("live,unsafe", flags.toString());
        assertEquals("live,v2,unsafe", flags.withV2().toString());
    }

    @Test
    public void theFlagsOfBeforeAreWrittenAsBefore() {
        assertEquals("live,p2p,tunnelled,offline,persistent,undefinesource,v2",
                new MigrationFlags(true, true, true, true, true, true, true).toString());
        assertEquals("", MigrationFlags.NONE.toString());
    }

    @Test
    public void withoutUnsafeKeepsTheRest() {
        MigrationFlags flags = new MigrationFlags(true, true, false, false, true, true, false, true);
        assertEquals(new MigrationFlags(true, true, false, false, true, true, false), flags.withoutUnsafe());
    }

    @Test
    public void anUnknownFlagIsStillRefused() {
        ChannelException e = assertThrows(ChannelException.class, () -> MigrationFlags.parse("live,unsafely"));
        assertEquals("unknown migration flag 'unsafely'", e.getMessage());
    }
}
