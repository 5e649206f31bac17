package io.ferry.api.cookie;

import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;
import org.w3c.dom.Element;

/**
 * One section of the migration cookie, registered as an OSGi service with its metadata in service properties
 * (declare them with {@link SectionProperties}). The core calls {@link #parse} and {@link #format} to move a
 * value between XML and memory, and {@link #bake} and {@link #eat} in the phases the section declared.
 * Parsing is kept apart from eating so that the core can validate every section of a cookie before any of
 * them acts on it: a bad cookie changes nothing.
 *
 * <h2>The call contract</h2>
 * <ul>
 * <li><b>Threads.</b> The core calls a section on a worker thread of its own ({@code ferry-section-N}, a bounded
 * pool), never on the thread that serves a request; the section's service object is got for each call, on that
 * thread, and given back when the call has really ended. A {@link SideStream.Writer} the section offered runs the
 * same way.</li>
 * <li><b>Time limit.</b> Each call ({@code parse}, {@code format}, {@code absent}, {@code bake}, {@code eat}, a side
 * stream's writer) may take at most the daemon's section timeout: 30 s unless {@code ferryd --section-timeout
 * SECONDS} (or {@code sectionTimeout} in {@code etc/io.ferry.daemon.cfg}, a day at most) says otherwise; a side
 * stream's writer ten times that. At the limit the call fails as if it had thrown, and its thread is interrupted: a
 * section that blocks should answer interruption. Perform bakes while the guest is paused; keep that short.</li>
 * <li><b>Concurrency.</b> At most one {@code bake}, {@code eat} or side-stream writer of one section runs for one
 * migration at a time: a call that comes while an earlier one of the same migration still runs (it outlived its
 * limit) fails at once. Calls for different migrations, the pure calls ({@code parse}, {@code format},
 * {@code absent}) and the cookie tools' calls may run at the same time on different threads, on the same object: a
 * section keeps no state of a migration in fields, or keeps it thread-safe and keyed by
 * {@link SectionContext#migrationId()}.</li>
 * <li><b>What acts.</b> {@code bake} reads and offers: the core may call it again in the same phase (when a section
 * of the cookie was replaced by a bundle update meanwhile, or when the destination asks for the section's side stream
 * again) and sends the last value, so a bake must change nothing a second bake would repeat. {@code eat} acts, once a
 * phase. Neither changes the domain's VM's run state or moves its memory: the VM a context offers refuses that (see
 * {@link SectionContext#capability}).</li>
 * <li><b>Exceptions.</b> A {@link CookieException}'s message is shown as it is; any other exception is reported as
 * {@code cookie section FEATURE failed in STEP: TYPE: MESSAGE}. From {@code parse}, it refuses the whole cookie: the
 * phase fails as for any malformed cookie. From {@code bake} or {@code eat} <em>before the destination's commit</em>
 * (Begin, Prepare, Perform, and Finish's eat), it fails the migration if the section is mandatory for the domain
 * ({@link Mandatory#WHEN_BAKED} and baked, or its feature announced in the incoming cookie); an optional section is
 * skipped (its fragment left out, or its value not acted on) and the failure logged on this host. <em>After the
 * commit</em> (Finish's bake, Confirm's eat) the domain runs on the destination whatever a section says: a failure is
 * only logged.</li>
 * <li><b>Registration.</b> A migration pins the sections both hosts have in the same major version
 * ({@link SectionProperties#version()}) at Begin and Prepare, and looks each up again in every later phase. A
 * section must therefore stay registered until the migrations that pinned it have ended, or be replaced by a bundle
 * of the same feature, major version, element and mandatory policy (a bundle update), which takes over their
 * remaining calls; a registration that changed the element or the policy is not a replacement for them. A section that
 * is gone while it still has a phase to run is waited for while the guest runs (then, if mandatory, the migration
 * fails), never while the guest is paused; an optional one is left out. Fragments of another major version are never
 * parsed: a mandatory one fails the migration at Prepare, naming both versions; an optional one is left out and
 * logged on both hosts.</li>
 * <li><b>Checks.</b> {@code ferry cookie check} runs a phase's {@code eat} of every section a cookie carries as a
 * migration would (same order, same rules for mandatory and optional sections), and {@code ferry cookie bake} a
 * phase's {@code bake}, both to show what a migration would do; the context then offers {@link CheckOnly}. A check
 * must change nothing on the host: the core's capabilities are harmless stand-ins then, and a section that acts
 * through anything of its own (a database, a file, a program) must look {@link CheckOnly} up and only say what it
 * would do. A section built against this package before 1.2 cannot know that: the check does not eat it (it reports
 * why), though it bakes it, {@code bake} producing a value and acting on nothing.</li>
 * </ul>
 *
 * @param <T> the section's in-memory value, immutable
 */
@ConsumerType
public interface CookieSection<T> {
    /** Service property: the feature name (String). */
    String FEATURE = SectionProperties.PREFIX_ + "feature";
    /** Service property: the top-level element name (String). */
    String ELEMENT = SectionProperties.PREFIX_ + "element";
    /** Service property: the fragment format version, major.minor (String). */
    String VERSION = SectionProperties.PREFIX_ + "version";
    /** Service property: a {@link Mandatory} name (String). */
    String MANDATORY = SectionProperties.PREFIX_ + "mandatory";
    /** Service property: the {@link Phase} names the section bakes in (String[]). */
    String BAKES = SectionProperties.PREFIX_ + "bakes";
    /** Service property: the {@link Phase} names the section eats in (String[]). */
    String EATS = SectionProperties.PREFIX_ + "eats";

    /**
     * Reads the section's element. Must have no side effect.
     *
     * @throws CookieException if the fragment is malformed; the message names what is wrong
     */
    T parse(Element fragment) throws CookieException;

    /** Writes the value into {@code fragment}, an empty element of the section's name already in place. */
    void format(T value, Element fragment);

    /**
     * The value an eater assumes when the incoming cookie has no element of this section, or null (the
     * default) when absence means there is nothing to eat. libvirt's capabilities, for one, read a cookie
     * without {@code <capabilities>} as "the peer supports none".
     */
    default T absent() {
        return null;
    }

    /**
     * Produces the value to send in this phase's outgoing cookie, or empty when there is nothing to say (then a
     * mandatory feature is not announced either).
     */
    Optional<T> bake(SectionContext context) throws Exception;

    /**
     * Acts on the value received in this phase's incoming cookie (or on {@link #absent()} when the cookie has none),
     * once every section of that cookie has parsed.
     */
    void eat(SectionContext context, T value) throws Exception;
}
