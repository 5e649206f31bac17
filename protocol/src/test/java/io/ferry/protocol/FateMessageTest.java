package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Outcome;
import java.util.Locale;
import org.junit.Test;

/**
 * A migration's fate as one daemon answers it and the other reads it, whatever the locale of either: in a Turkish one
 * "committed" upper-cased to "COMMİTTED" (dotted capital I), so such a daemon could not read its peer's answer.
 */
public class FateMessageTest {
    @Test
    public void theOutcomeIsTheSameWordInATurkishLocale() throws Exception {
        String committed = new Fate("m-1", Outcome.COMMITTED, null, true).toXml();
        String inProgress = new Fate("m-2", Outcome.IN_PROGRESS).toXml();
        Locale before = Locale.getDefault();
        Locale.setDefault(Locale.forLanguageTag("tr-TR"));
        try {
            assertEquals("a peer's answer", new Fate("m-1", Outcome.COMMITTED, null, true), read(committed));
            assertEquals(new Fate("m-2", Outcome.IN_PROGRESS), read(inProgress));
            assertEquals(committed, new Fate("m-1", Outcome.COMMITTED, null, true).toXml());
            assertEquals(inProgress, new Fate("m-2", Outcome.IN_PROGRESS).toXml());
        } finally {
            Locale.setDefault(before);
        }
    }

    /** What a daemon of an earlier build sent from a Turkish locale: a dotless ı for each i. */
    @Test
    public void theAnswerOfAnEarlierBuildInATurkishLocaleIsRead() throws Exception {
        assertEquals(new Fate("m-1", Outcome.COMMITTED), read("<fate id='m-1' outcome='comm\u0131tted'/>"));
        assertEquals(new Fate("m-2", Outcome.IN_PROGRESS), read("<fate id='m-2' outcome='\u0131n_progress'/>"));
    }

    /**
     * Why a destination answers "in progress": busy (its Finish or Prepare holds the domain right now, which ends soon)
     * or not (a record it cannot read, which may last); only a busy one says so, and any other answers as before.
     */
    @Test
    public void aBusyDestinationSaysSo() throws Exception {
        Fate busy = Fate.busy("m-1").from("j-1");

        assertTrue(busy.toXml(), busy.toXml().contains(" busy='yes'"));
        assertEquals(busy, read(busy.toXml()));
        assertTrue(read(busy.toXml()).busy());
        String plain = new Fate("m-2", Outcome.IN_PROGRESS).toXml();
        assertFalse(plain, plain.contains("busy"));
    }

    /** A daemon from before it said (or one whose "in progress" has another reason) is not busy. */
    @Test
    public void aDestinationThatDoesNotSayItIsBusyIsNot() throws Exception {
        Fate older = read("<fate id='m-1' outcome='in_progress' journal='j-1'/>");

        assertFalse(older.busy());
        assertEquals(new Fate("m-1", Outcome.IN_PROGRESS).from("j-1"), older);
        assertFalse(read("<fate id='m-1' outcome='in_progress' busy='no'/>").busy());
    }

    private static Fate read(String xml) throws ChannelException {
        return Fate.fromXml(Xml.of(ControlClient.parse(xml)));
    }
}
