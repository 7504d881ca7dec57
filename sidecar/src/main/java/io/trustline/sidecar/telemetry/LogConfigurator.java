package io.trustline.sidecar.telemetry;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.jspecify.annotations.Nullable;

/**
 * The sidecar's default logging, set up in code (Logback finds this class through {@code META-INF/services}): one
 * line per event on stderr with its key-values ({@code %kvp}); stdout is reserved for the JSON access log.
 *
 * <p>In code rather than in a {@code logback.xml} because reading XML costs every sidecar about 600 classes (Logback's
 * Joran and the JDK's XML parser, some 3 MB of metaspace and symbols) for a file read once. Any configuration the
 * user gives still wins, read by Logback's own XML configurator as usual: {@code -Dlogback.configurationFile}
 * (the jar's {@code logback-json.xml} among them) or a {@code logback.xml} or {@code logback-test.xml} on the class
 * path.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {

    /** The layout of each line: time, level, logger, message, the call's key-values, then any stack trace. */
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{24} - %msg %kvp%n%ex";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (userConfigured(System.getProperty("logback.configurationFile"), LogConfigurator.class.getClassLoader())) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        configureText(context);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Whether the user named a configuration file or put one where Logback looks for it. */
    static boolean userConfigured(@Nullable String configurationFile, @Nullable ClassLoader loader) {
        if (configurationFile != null) {
            return true;
        }
        return loader != null
                && (loader.getResource("logback-test.xml") != null || loader.getResource("logback.xml") != null);
    }

    /** Text lines on stderr; Armeria and Netty at WARN, Micrometer at ERROR, the rest at INFO. */
    static void configureText(LoggerContext context) {
        final PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        final ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        final Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
        context.getLogger("com.linecorp.armeria").setLevel(Level.WARN);
        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("io.micrometer").setLevel(Level.ERROR);
    }
}
