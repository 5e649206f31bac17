package io.ferry.settings;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.junit.Test;

/** Subject patterns as libvirt's tls_allowed_dn_list: RFC 4514 names, its escapes, and * wildcards (fnmatch). */
public class SubjectPatternTest {
    @Test
    public void anExactNameMatchesItselfAndNothingLongerOrShorter() {
        SubjectPattern admin = SubjectPattern.parse("CN=admin,O=Ferry");
        assertTrue(admin.matches("CN=admin,O=Ferry"));
        assertFalse(admin.matches("CN=admin,O=Ferry,C=GB"));
        assertFalse(admin.matches("CN=admin"));
        assertFalse(admin.matches("CN=admin2,O=Ferry"));
        assertFalse("values are compared exactly, as libvirt does", admin.matches("CN=Admin,O=Ferry"));
    }

    @Test
    public void theSpellingOfTheSameNameDoesNotMatter() {
        SubjectPattern admin = SubjectPattern.parse("cn = admin , o=Ferry");
        assertTrue(admin.matches("CN=admin,O=Ferry"));
        assertTrue(SubjectPattern.parse("CN=Doe\\, John,O=Ferry").matches("CN=Doe\\2C John,O=Ferry"));
        assertTrue(SubjectPattern.parse("CN=caf\\C3\\A9").matches("CN=café"));
        assertTrue(SubjectPattern.parse("CN=a\\+b").matches("CN=a\\2Bb"));
        assertTrue(SubjectPattern.parse("CN=\\ lead").matches("CN=\\20lead"));
        assertTrue(SubjectPattern.parse("1.2.840.113549.1.9.1=#160161").matches("1.2.840.113549.1.9.1=#160161"));
    }

    @Test
    public void anEscapedSeparatorIsPartOfAValueAndAPlainOneSeparatesRdns() {
        assertFalse(SubjectPattern.parse("CN=a\\,O=b").matches("CN=a,O=b"));
        assertTrue(SubjectPattern.parse("CN=a\\,O=b").matches("CN=a\\,O=b"));
        assertFalse("a multi-valued RDN is not two RDNs", SubjectPattern.parse("CN=a+OU=b").matches("CN=a,OU=b"));
        assertTrue(SubjectPattern.parse("CN=a + OU=b").matches("CN=a+OU=b"));
    }

    @Test
    public void aStarStandsForAnyTextAlsoAcrossRdnsAndAnEscapedStarForAStar() {
        SubjectPattern hosts = SubjectPattern.parse("CN=host-*,O=Ferry");
        assertTrue(hosts.matches("CN=host-a,O=Ferry"));
        assertTrue(hosts.matches("CN=host-,O=Ferry"));
        assertFalse(hosts.matches("CN=host-a,O=Other"));
        assertFalse(hosts.matches("CN=client,O=Ferry"));
        assertTrue("as fnmatch: the star crosses RDNs", SubjectPattern.parse("CN=host-*").matches("CN=host-a,O=Ferry"));
        assertTrue(SubjectPattern.parse("*,O=Ferry").matches("CN=x,OU=y,O=Ferry"));
        assertFalse(SubjectPattern.parse("*,O=Ferry").matches("CN=x,O=Ferry2"));
        assertTrue(SubjectPattern.parse("*").matches("CN=anyone,O=Anywhere"));
        assertTrue(SubjectPattern.parse("CN=*a*b*").matches("CN=xxaxxbxx"));
        assertFalse(SubjectPattern.parse("CN=*a*b").matches("CN=xxaxxbxx"));
        assertTrue(SubjectPattern.parse("CN=a\\*").matches("CN=a*"));
        assertFalse("an escaped star is only a star", SubjectPattern.parse("CN=a\\*").matches("CN=ab"));
    }

    @Test
    public void theJdksOwnSpellingOfACertificateSubjectMatches() {
        X500Principal subject = new X500Principal("CN=Doe\\, John + OU=Ops, O=\"Ferry, Inc.\", C=GB");
        String rfc4514 = subject.getName();
        assertTrue(rfc4514, SubjectPattern.parse("CN=Doe\\, John+OU=Ops,O=Ferry\\, Inc.,C=GB").matches(rfc4514));
        assertTrue(rfc4514, SubjectPattern.parse("CN=Doe*,O=Ferry\\, Inc.,C=GB").matches(rfc4514));
    }

    @Test
    public void aPatternThatIsNotANameIsRefusedSayingWhy() {
        assertEquals("has an attribute without '=' ('admin')", assertThrows(IllegalArgumentException.class,
                () -> SubjectPattern.parse("admin")).getMessage());
        assertEquals("has an attribute without '=' ('O')", assertThrows(IllegalArgumentException.class,
                () -> SubjectPattern.parse("CN=a,O")).getMessage());
        assertEquals("ends with a lone '\\'", assertThrows(IllegalArgumentException.class,
                () -> SubjectPattern.parse("CN=a\\")).getMessage());
        assertEquals("has an attribute type that is neither a name nor an OID ('C N')", assertThrows(IllegalArgumentException.class,
                () -> SubjectPattern.parse("C N=a")).getMessage());
        assertEquals("is empty", assertThrows(IllegalArgumentException.class, () -> SubjectPattern.parse(" ")).getMessage());
    }

    @Test
    public void aListIsOneUnquotedPatternOrQuotedPatternsSeparatedByCommas() {
        assertEquals(List.of(SubjectPattern.parse("CN=admin,O=Ferry")), SubjectPattern.parseList("CN=admin,O=Ferry"));
        assertEquals(List.of(SubjectPattern.parse("CN=admin,O=Ferry"), SubjectPattern.parse("CN=ops-*,O=Ferry")),
                SubjectPattern.parseList(" \"CN=admin,O=Ferry\" ,\"CN=ops-*,O=Ferry\""));
        assertEquals(List.of(SubjectPattern.parse("CN=say \\\"hi\\\"")), SubjectPattern.parseList("\"CN=say \\\\\\\"hi\\\\\\\"\""));
        assertEquals("holds a subject pattern 'admin' that has an attribute without '=' ('admin')",
                assertThrows(IllegalArgumentException.class, () -> SubjectPattern.parseList("\"CN=a\", \"admin\"")).getMessage());
        assertEquals("has text outside the quotes at character 8: separate quoted patterns with commas",
                assertThrows(IllegalArgumentException.class, () -> SubjectPattern.parseList("\"CN=a\" ; \"CN=b\"")).getMessage());
        // read from the X as if it were a quote, the typo would let in every CN
        assertEquals("has text outside the quotes at character 9: separate quoted patterns with commas",
                assertThrows(IllegalArgumentException.class, () -> SubjectPattern.parseList("\"CN=a\", XCN=*\"")).getMessage());
        assertEquals("mixes quoted and unquoted patterns: put each pattern in double quotes",
                assertThrows(IllegalArgumentException.class, () -> SubjectPattern.parseList("CN=a, \"CN=b\"")).getMessage());
        assertEquals("has a quote that is never closed",
                assertThrows(IllegalArgumentException.class, () -> SubjectPattern.parseList("\"CN=a")).getMessage());
    }

    @Test
    public void repeatedFlagsAreQuotedIntoAListThatReadsBackAsGiven() {
        List<String> given = List.of("CN=a\\,b,O=Ferry", "CN=say \"hi\"", "CN=back\\\\slash");
        List<SubjectPattern> read = SubjectPattern.parseList(SubjectPattern.joinQuoted(given));
        assertEquals(given.size(), read.size());
        for (int i = 0; i < given.size(); i++) {
            assertEquals(given.get(i), read.get(i).toString());
        }
    }
}
