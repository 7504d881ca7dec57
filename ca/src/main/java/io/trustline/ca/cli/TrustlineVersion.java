package io.trustline.ca.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code -V} of every Trustline tool: the tool's name and the Maven project version, which the build writes into
 * {@code version.properties}, so the CA, policy, sidecar and demo command lines always print the same version.
 */
public final class TrustlineVersion implements IVersionProvider {

    private static final String RESOURCE = "version.properties";

    @Spec
    CommandSpec spec;

    /** The project version this jar was built as, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String projectVersion() {
        try (InputStream in = TrustlineVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + ": not on the classpath (build with ./mvnw package)");
            }
            final Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(RESOURCE + ": cannot read", e);
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {spec.root().name() + " " + projectVersion()};
    }
}
