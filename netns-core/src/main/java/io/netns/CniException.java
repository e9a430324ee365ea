package io.netns;

/**
 * A CNI plugin failed, or did not answer in time: its error result ({@code code}, {@code msg},
 * {@code details}, CNI spec section 5) with the plugin and the verb it was run for. Callers branch on
 * {@link #code()}, e.g. {@link #TRY_AGAIN_LATER} (11) means the plugin saw a transient condition.
 *
 * <p>Message: {@code CNI plugin bridge (network mynet) failed ADD: code 7 (invalid network config): failed
 * to parse: details}.
 */
public final class CniException extends NetnsException {
    private static final long serialVersionUID = 1L;

    /** Incompatible CNI version. */
    public static final int INCOMPATIBLE_VERSION = 1;
    /** Unsupported field in network configuration. */
    public static final int UNSUPPORTED_FIELD = 2;
    /** Container unknown or does not exist. */
    public static final int UNKNOWN_CONTAINER = 3;
    /** Invalid necessary environment variables. */
    public static final int INVALID_ENVIRONMENT = 4;
    /** I/O failure. */
    public static final int IO_FAILURE = 5;
    /** Failed to decode content. */
    public static final int DECODING_FAILURE = 6;
    /** Invalid network config. */
    public static final int INVALID_NETWORK_CONFIG = 7;
    /** Try again later. */
    public static final int TRY_AGAIN_LATER = 11;
    /** The plugin is not available. */
    public static final int NOT_AVAILABLE = 50;
    /** The plugin is not available, and existing containers may have limited connectivity. */
    public static final int NOT_AVAILABLE_LIMITED_CONNECTIVITY = 51;

    /** The plugin's {@code type}. */
    private final String plugin;
    /** The verb it was run for. */
    private final String verb;
    /** The CNI error code, or 0. */
    private final int code;
    /** The error result's {@code msg}. */
    private final String pluginMessage;
    /** The error result's {@code details}. */
    private final String details;

    private CniException(String plugin, String verb, int code, String pluginMessage, String details, String message) {
        super("cni " + verb, 0, message, null);
        this.plugin = plugin;
        this.verb = verb;
        this.code = code;
        this.pluginMessage = pluginMessage;
        this.details = details;
    }

    /**
     * Makes the exception for a plugin's failure.
     *
     * @param plugin the plugin's {@code type}, e.g. {@code bridge}
     * @param network the network name
     * @param verb {@code ADD}, {@code DEL}, {@code CHECK}, {@code STATUS}, {@code GC} or {@code VERSION}
     * @param code the error result's code, or 0 when the plugin gave none
     * @param msg the error result's {@code msg} (or what the plugin wrote to stderr)
     * @param details the error result's {@code details}, or empty
     * @return the exception
     */
    public static CniException of(String plugin, String network, String verb, int code, String msg, String details) {
        String m = "CNI plugin " + plugin + " (network " + network + ") failed " + verb + ": "
                + (code == 0 ? "" : "code " + code + " (" + meaning(code) + "): ") + (msg == null ? "" : msg)
                + (details == null || details.isEmpty() ? "" : ": " + details);
        return new CniException(plugin, verb, code, msg == null ? "" : msg, details == null ? "" : details, m);
    }

    /**
     * @param code a CNI error code
     * @return what the spec says it means, e.g. {@code invalid network config}; codes of 100 and above are
     *     the plugin's own
     */
    public static String meaning(int code) {
        switch (code) {
            case INCOMPATIBLE_VERSION: return "incompatible CNI version";
            case UNSUPPORTED_FIELD: return "unsupported field in network configuration";
            case UNKNOWN_CONTAINER: return "container unknown or does not exist";
            case INVALID_ENVIRONMENT: return "invalid necessary environment variables";
            case IO_FAILURE: return "I/O failure";
            case DECODING_FAILURE: return "failed to decode content";
            case INVALID_NETWORK_CONFIG: return "invalid network config";
            case TRY_AGAIN_LATER: return "try again later";
            case NOT_AVAILABLE: return "plugin not available";
            case NOT_AVAILABLE_LIMITED_CONNECTIVITY: return "plugin not available, existing containers may have limited connectivity";
            default: return code >= 100 ? "the plugin's own error code" : "a reserved code the spec does not define";
        }
    }

    /** @return the plugin's {@code type}, e.g. {@code bridge} */
    public String plugin() {
        return plugin;
    }

    /** @return the verb it failed: {@code ADD}, {@code DEL}, {@code CHECK}, {@code STATUS}, {@code GC}, {@code VERSION} */
    public String verb() {
        return verb;
    }

    /** @return the CNI error code, or 0 when the plugin wrote no error result (a crash, a time-out) */
    public int code() {
        return code;
    }

    /** @return the error result's {@code msg} */
    public String pluginMessage() {
        return pluginMessage;
    }

    /** @return the error result's {@code details}, or empty */
    public String details() {
        return details;
    }
}
