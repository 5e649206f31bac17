package io.ferry.core.daemon;

import java.util.regex.Pattern;

/** What a migration id may be, wherever one becomes part of a file name (the journal, the snapshots' staging). */
public final class MigrationIds {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

    private MigrationIds() {
    }

    /** Migration ids are UUIDs made by the source; anything else is refused before it reaches a file name. */
    public static boolean isValid(String id) {
        return id != null && ID.matcher(id).matches();
    }
}
