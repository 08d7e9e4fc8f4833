package io.factfleet.core;

import java.util.Objects;

/** The verdict on one inbound fact. */
public sealed interface Admission permits Admission.Accepted, Admission.Rejected {
    record Accepted() implements Admission {
    }

    /** Refused, with a machine code and a sentence a person can act on. */
    record Rejected(RejectionCode code, String message) implements Admission {
        public Rejected {
            Objects.requireNonNull(code);
            Objects.requireNonNull(message);
        }
    }

    static Admission accepted() {
        return new Accepted();
    }

    static Admission rejected(final RejectionCode code, final String message) {
        return new Rejected(code, message);
    }
}
