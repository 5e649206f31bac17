package io.ferry.api.cookie;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Offered by the context when a call is a check, not a migration: {@code ferry cookie check} eats a cookie and
 * {@code ferry cookie bake} bakes one exactly as a migration would, and nothing on this host may change. The core's
 * own capabilities are harmless stand-ins then (no VM, leases that acquire nothing, a side stream without data); a
 * section that acts through anything of its own (a database, a file, a program) must look this capability up before
 * it acts and, when it is there, only say what it would do:
 *
 * <pre>{@code
 * Optional<CheckOnly> check = context.capability(CheckOnly.class);
 * if (check.isPresent()) {
 *     check.get().wouldDo("write the port data of interface 0 on vnet0");
 *     return;
 * }
 * }</pre>
 *
 * Everything else a section does in a check (parsing, reading, refusing the value with an exception) is what a
 * migration would see, so the check's verdict is the migration's.
 *
 * @since 1.2
 */
@ProviderType
public interface CheckOnly {
    /** Says what the section would have done on this host in a migration; the check shows it with the section. */
    void wouldDo(String action);
}
