using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EventSourced.Adapters.Storage.Evidence;

/// <summary>
/// A signed tree head: the size of the log's Merkle tree, its root hash and when it was signed, with the
/// signature over <see cref="SignedBytes"/> (the log's name included, so a head of one log cannot pass for another's).
/// </summary>
public sealed record TreeHead(string Log, long Size, byte[] Root, long SignedAt, string Algorithm, string KeyId, byte[] Signature)
{
    /// <summary>The exact bytes signed: one line per field, UTF-8.</summary>
    public static byte[] SignedBytes(string log, long size, byte[] root, long signedAt) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"stringee-es tree head v1\nlog {log}\nsize {size}\nroot {Convert.ToHexStringLower(root)}\nsigned-at {signedAt}\n"));
}

/// <summary>
/// Signs and checks tree heads. ECDSA P-256 with SHA-256 (the signature RFC 9162 logs use; anyone with the
/// public key can check a head), or HMAC-SHA256 (whoever checks needs the secret). The key comes from
/// configuration: the file <c>$STRINGEE_ES_SIGNING_KEY</c> names (a PKCS#8 or SEC1 PEM EC key, or a line
/// <c>hmac-sha256:BASE64</c>), else the project's own key in its private home, created on first use (0600 in a 0700 folder).
/// </summary>
public sealed class TreeHeadSigner
{
    /// <summary>The environment variable naming the key file.</summary>
    public const string KeyVariable = "STRINGEE_ES_SIGNING_KEY";

    readonly ECDsa? ecdsa;
    readonly byte[]? secret;

    /// <summary><c>ecdsa-p256-sha256</c> or <c>hmac-sha256</c>.</summary>
    public string Algorithm { get; }

    /// <summary>The first 16 hex digits of SHA-256 over the public key (ECDSA) or over the secret's hash (HMAC): which key signed.</summary>
    public string KeyId { get; }

    /// <summary>Where the key was read from.</summary>
    public string Source { get; }

    TreeHeadSigner(ECDsa? ecdsa, byte[]? secret, string source)
    {
        this.ecdsa = ecdsa;
        this.secret = secret;
        Source = source;
        Algorithm = ecdsa is null ? "hmac-sha256" : "ecdsa-p256-sha256";
        KeyId = Convert.ToHexStringLower(SHA256.HashData(ecdsa is null ? SHA256.HashData(secret!) : ecdsa.ExportSubjectPublicKeyInfo()))[..16];
    }

    /// <summary>The public key as PEM (ECDSA only): what a verifier needs, published out of band.</summary>
    public Option<string> PublicKeyPem => ecdsa is null ? None : Some(ecdsa.ExportSubjectPublicKeyInfoPem());

    /// <summary>The default key file: <c>keys/tree-head.pem</c> in the project's private home.</summary>
    public static string DefaultPath => Path.Combine(EmbeddedPostgres.DefaultHome, "keys", "tree-head.pem");

    /// <summary>The configured key: a named file that is missing or unreadable is an error now, not at the first tree head.</summary>
    public static Fin<TreeHeadSigner> FromConfiguration()
    {
        var named = Environment.GetEnvironmentVariable(KeyVariable);
        if (!string.IsNullOrWhiteSpace(named))
            return File.Exists(named) ? Load(named) : Error.New($"signing key: {KeyVariable} names '{named}', which does not exist");
        return File.Exists(DefaultPath) ? Load(DefaultPath) : Create(DefaultPath);
    }

    /// <summary>Reads a key file.</summary>
    public static Fin<TreeHeadSigner> Load(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            if (text.StartsWith("hmac-sha256:", StringComparison.Ordinal))
            {
                var secret = Convert.FromBase64String(text["hmac-sha256:".Length..]);
                return secret.Length < 32 ? Error.New($"signing key '{path}': an HMAC key needs at least 32 bytes") : new TreeHeadSigner(null, secret, path);
            }
            var key = ECDsa.Create();
            key.ImportFromPem(text);
            if (key.KeySize != 256) return Error.New($"signing key '{path}': the EC key must be on P-256");
            key.SignData([0], HashAlgorithmName.SHA256); // a public key alone cannot sign: say so now
            return new TreeHeadSigner(key, null, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException or FormatException)
        {
            return Error.New($"signing key '{path}': {ex.Message}");
        }
    }

    /// <summary>A new ECDSA P-256 key written to <paramref name="path"/> (0600; its folder 0700).</summary>
    public static Fin<TreeHeadSigner> Create(string path)
    {
        if (OperatingSystem.IsWindows()) return Error.New($"signing key: set {KeyVariable} to a key file (a private key file is only created on Unix)");
        return CreatePrivate(path);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    static Fin<TreeHeadSigner> CreatePrivate(string path)
    {
        try
        {
            var folder = Path.GetDirectoryName(path)!;
            if (!Directory.Exists(folder)) Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var temp = $"{path}.{Guid.NewGuid():N}.tmp"; // unique: two processes may create the key at once
            using (var f = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            using (var w = new StreamWriter(f))
                w.Write(key.ExportPkcs8PrivateKeyPem());
            // Two processes creating it at once: the first one's key stands.
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp);
                return Load(path);
            }
            return new TreeHeadSigner(key, null, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Error.New($"signing key: cannot create '{path}': {ex.Message}");
        }
    }

    /// <summary>Signs a tree head.</summary>
    public TreeHead Sign(string log, long size, byte[] root, long signedAt)
    {
        var bytes = TreeHead.SignedBytes(log, size, root, signedAt);
        var signature = ecdsa is not null ? ecdsa.SignData(bytes, HashAlgorithmName.SHA256) : HMACSHA256.HashData(secret!, bytes);
        return new TreeHead(log, size, root, signedAt, Algorithm, KeyId, signature);
    }

    /// <summary>True when this key made the head's signature.</summary>
    public bool Verify(TreeHead head) => head.Algorithm == Algorithm && head.KeyId == KeyId && Verify(head, ecdsa, secret);

    /// <summary>Checks a head against a public key in PEM, with no secret at hand (what an export's reader does).</summary>
    public static bool VerifyWithPublicKey(TreeHead head, string publicKeyPem)
    {
        if (head.Algorithm != "ecdsa-p256-sha256") return false;
        try
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(publicKeyPem);
            return Verify(head, key, null);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    static bool Verify(TreeHead head, ECDsa? key, byte[]? secret)
    {
        var bytes = TreeHead.SignedBytes(head.Log, head.Size, head.Root, head.SignedAt);
        return key is not null ? key.VerifyData(bytes, head.Signature, HashAlgorithmName.SHA256)
            : secret is not null && CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(secret, bytes), head.Signature);
    }
}
