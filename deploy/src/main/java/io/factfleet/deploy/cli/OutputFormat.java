package io.factfleet.deploy.cli;

/** {@code --output}: a table for people or JSON for scripts. */
public enum OutputFormat {
    text, json
}
