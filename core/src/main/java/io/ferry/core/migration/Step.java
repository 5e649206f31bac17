package io.ferry.core.migration;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Where one side of a migration stands, as its journal records it; each step names the steps that may follow
 * it, and nothing else may. A call is accepted only in the step its predecessor left.
 *
 * <pre>
 * source:      BEGUN -> PERFORMING -> PERFORMED -> CONFIRMED
 *                 \__________\_____________\______> ABORTED
 * destination: PREPARED -> FINISHING -> COMMITTED -> FINISHED
 *                 \___________\______> ABORTED
 * </pre>
 *
 * COMMITTED is the migration's single commit point: from it on the domain belongs to the destination and
 * nothing rolls back.
 */
public enum Step {
    BEGUN, PERFORMING, PERFORMED, CONFIRMED, PREPARED, FINISHING, COMMITTED, FINISHED, ABORTED;

    public Set<Step> next() {
        return switch (this) {
            case BEGUN -> EnumSet.of(PERFORMING, ABORTED);
            case PERFORMING -> EnumSet.of(PERFORMED, ABORTED, CONFIRMED); // protocol 2: Perform itself completes
            case PERFORMED -> EnumSet.of(CONFIRMED, ABORTED);
            case PREPARED -> EnumSet.of(FINISHING, ABORTED);
            case FINISHING -> EnumSet.of(COMMITTED, ABORTED);
            case COMMITTED -> EnumSet.of(FINISHED);
            case CONFIRMED, FINISHED, ABORTED -> EnumSet.noneOf(Step.class);
        };
    }

    public boolean isFinal() {
        return next().isEmpty();
    }

    /** The destination committed: the domain belongs to it. */
    public boolean isCommitted() {
        return this == COMMITTED || this == FINISHED;
    }

    public String display() {
        return name().toLowerCase(Locale.ROOT);
    }
}
