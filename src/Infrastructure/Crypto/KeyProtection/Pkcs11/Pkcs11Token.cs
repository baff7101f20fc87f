using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace LocalKeyManager.Infrastructure.Crypto.KeyProtection.Pkcs11;

/// <summary>
/// An open, logged-in PKCS#11 token with a pool of sessions (a session serves one thread at a
/// time; the login is shared by every session of the process).
/// </summary>
public sealed class Pkcs11Token : IDisposable
{
    private static int _resolverSet;

    private readonly IPkcs11Library _library;
    private readonly ISlot _slot;
    private readonly ISession _loginSession;
    private readonly ConcurrentBag<ISession> _sessions = [];

    private Pkcs11Token(IPkcs11Library library, ISlot slot, ISession loginSession)
    {
        _library = library;
        _slot = slot;
        _loginSession = loginSession;
    }

    public static Pkcs11InteropFactories Factories { get; } = new();

    public static Pkcs11Token Open(string modulePath, string tokenLabel, string pin)
    {
        MapLibdl();
        IPkcs11Library library;
        try
        {
            library = Factories.Pkcs11LibraryFactory.LoadPkcs11Library(Factories, modulePath, AppType.MultiThreaded);
        }
        catch (UnmanagedException e)
        {
            // A file that is not a PKCS#11 module (no C_GetFunctionList), or that does not load.
            throw new MasterKeyException($"{modulePath} could not be loaded as a PKCS#11 module: {e.Message}", e);
        }
        catch (Pkcs11Exception e)
        {
            // C_Initialize refused: the module's own configuration (SoftHSM2: SOFTHSM2_CONF and
            // its token directory) is missing or unreadable.
            throw new MasterKeyException($"The PKCS#11 module {modulePath} could not be initialised ({e.RV}): check the module's own configuration (SoftHSM2: SOFTHSM2_CONF and its tokendir).", e);
        }

        try
        {
            var slot = library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => s.GetTokenInfo().Label.Trim() == tokenLabel)
                ?? throw new MasterKeyException($"No PKCS#11 token labelled '{tokenLabel}' in {modulePath}.");
            var session = slot.OpenSession(SessionType.ReadWrite);
            try
            {
                session.Login(CKU.CKU_USER, pin);
            }
            catch (Pkcs11Exception e) when (e.RV is CKR.CKR_USER_ALREADY_LOGGED_IN)
            {
                // Another part of this process logged in already: the login is per application.
            }

            return new Pkcs11Token(library, slot, session);
        }
        catch (Exception e)
        {
            // Finalised on every failure, so that the next opening initialises the module afresh
            // (SoftHSM2 reads its tokens only then: a token that comes back is found).
            library.Dispose();
            throw e is Pkcs11Exception failure ? new MasterKeyException($"The PKCS#11 token '{tokenLabel}' could not be opened: {failure.RV}.", e) : e;
        }
    }

    /// <summary>Runs <paramref name="use"/> on a session of its own.</summary>
    public T Use<T>(Func<ISession, T> use)
    {
        var session = _sessions.TryTake(out var pooled) ? pooled : _slot.OpenSession(SessionType.ReadWrite);
        try
        {
            return use(session);
        }
        finally
        {
            _sessions.Add(session);
        }
    }

    /// <summary>The secret key with <paramref name="label"/>; two with one label are refused, since instances could pick different ones.</summary>
    public IObjectHandle? FindSecretKey(ISession session, string label)
    {
        var found = session.FindAllObjects(
        [
            Factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            Factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label),
        ]);
        return found.Count > 1
            ? throw new MasterKeyException($"The PKCS#11 token holds {found.Count} secret keys labelled '{label}'; give each key a label of its own.")
            : found.FirstOrDefault();
    }

    /// <summary>Null for an AES key of 32 bytes; otherwise what the key is (type and length), for the refusal.</summary>
    public string? DescribeIfNotAes256(ISession session, IObjectHandle key)
    {
        var attributes = session.GetAttributeValue(key, [CKA.CKA_KEY_TYPE, CKA.CKA_VALUE_LEN]);
        var type = attributes[0].CannotBeRead ? null : (ulong?)attributes[0].GetValueAsUlong();
        var length = attributes[1].CannotBeRead ? null : (ulong?)attributes[1].GetValueAsUlong();
        if (type == (ulong)CKK.CKK_AES && length == 32)
        {
            return null;
        }

        var typeName = type switch
        {
            (ulong)CKK.CKK_AES => "AES",
            (ulong)CKK.CKK_GENERIC_SECRET => "a generic secret",
            (ulong)CKK.CKK_DES3 => "DES3",
            null => "of a type it does not show",
            var other => $"of key type 0x{other:x}",
        };
        return length is { } bytes ? $"{typeName}, {bytes} bytes" : typeName;
    }

    /// <summary>
    /// True when the token would hand the key's value out: extractable (it can be wrapped out) or
    /// not sensitive (its value can be read). An attribute the token does not show counts as safe.
    /// </summary>
    public static bool CanLeaveToken(ISession session, IObjectHandle key)
    {
        var attributes = session.GetAttributeValue(key, [CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE]);
        var extractable = !attributes[0].CannotBeRead && attributes[0].GetValueAsBool();
        var notSensitive = !attributes[1].CannotBeRead && !attributes[1].GetValueAsBool();
        return extractable || notSensitive;
    }

    /// <summary>Creates a non-extractable AES key in the token, 256-bit unless told (for setting up a token, and tests).</summary>
    public IObjectHandle CreateAesKey(string label, int bytes = 32, bool extractable = false) => Use(session => session.GenerateKey(
        Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN),
        [
            Factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            Factories.ObjectAttributeFactory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            Factories.ObjectAttributeFactory.Create(CKA.CKA_VALUE_LEN, (ulong)bytes),
            Factories.ObjectAttributeFactory.Create(CKA.CKA_TOKEN, true),
            Factories.ObjectAttributeFactory.Create(CKA.CKA_PRIVATE, true),
            Factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label),
            Factories.ObjectAttributeFactory.Create(CKA.CKA_ENCRYPT, true),
            Factories.ObjectAttributeFactory.Create(CKA.CKA_DECRYPT, true),
            Factories.ObjectAttributeFactory.Create(CKA.CKA_SENSITIVE, true),
            Factories.ObjectAttributeFactory.Create(CKA.CKA_EXTRACTABLE, extractable),
        ]));

    /// <summary>
    /// The module is initialized once per process: if another opening of it (a second token
    /// object, as tests make) already finalized it, its sessions are gone, and that is no error.
    /// </summary>
    public void Dispose()
    {
        while (_sessions.TryTake(out var session))
        {
            Release(session.Dispose);
        }

        Release(_loginSession.Dispose);
        Release(_library.Dispose);
    }

    private static void Release(Action dispose)
    {
        try
        {
            dispose();
        }
        catch (Pkcs11Exception e) when (e.RV is CKR.CKR_CRYPTOKI_NOT_INITIALIZED)
        {
        }
    }

    /// <summary>
    /// Pkcs11Interop 5.3 P/Invokes "libdl", which Debian 12 ships only as libdl.so.2. The
    /// resolver can be set once per assembly, so once per process.
    /// </summary>
    private static void MapLibdl()
    {
        if (OperatingSystem.IsLinux() && Interlocked.Exchange(ref _resolverSet, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, static (name, assembly, path) =>
                name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", out var handle) ? handle : IntPtr.Zero);
        }
    }
}
