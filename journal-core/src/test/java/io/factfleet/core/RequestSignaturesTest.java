package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestSignaturesTest {
    private final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
    private final String nonce = "00112233445566778899aabbccddeeff";
    private final byte[] body = "{\"facts\":[]}".getBytes();

    private RequestSignatures.Credentials signed() {
        return RequestSignatures.parse(RequestSignatures.header("POST", "/v1/authorities/a/facts", body, 1_000L, nonce, "a", "d1", key)).orElseThrow();
    }

    @Test
    void aSignedHeaderParsesAndVerifies() {
        final RequestSignatures.Credentials credentials = signed();
        assertThat(credentials.authorityId()).isEqualTo("a");
        assertThat(credentials.deviceId()).isEqualTo("d1");
        assertThat(credentials.keyId()).isEqualTo(key.keyId());
        assertThat(RequestSignatures.verify(credentials, key.publicKey(), "POST", "/v1/authorities/a/facts", body, SignatureVerifier.bouncyCastle())).isTrue();
    }

    @Test
    void anotherBodyPathOrMethodDoesNotVerify() {
        final RequestSignatures.Credentials credentials = signed();
        final SignatureVerifier v = SignatureVerifier.bouncyCastle();
        assertThat(RequestSignatures.verify(credentials, key.publicKey(), "POST", "/v1/authorities/a/facts", "{}".getBytes(), v)).isFalse();
        assertThat(RequestSignatures.verify(credentials, key.publicKey(), "POST", "/v1/authorities/b/facts", body, v)).isFalse();
        assertThat(RequestSignatures.verify(credentials, key.publicKey(), "PUT", "/v1/authorities/a/facts", body, v)).isFalse();
    }

    @Test
    void malformedHeadersAreRefused() {
        assertThat(RequestSignatures.parse(null)).isEmpty();
        assertThat(RequestSignatures.parse("Bearer abc")).isEmpty();
        assertThat(RequestSignatures.parse(RequestSignatures.SCHEME + " authority=a,device=d")).isEmpty();
        assertThat(RequestSignatures.parse(RequestSignatures.SCHEME + " authority=a,device=d,key=k,ts=x,nonce=" + nonce + ",sig=00")).isEmpty();
        assertThat(RequestSignatures.parse(RequestSignatures.SCHEME + " authority=a,device=d,key=k,ts=1,nonce=short,sig=00")).isEmpty();
    }
}
