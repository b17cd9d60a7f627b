import CairnCore
import Hummingbird
import HummingbirdAuth
import Logging

/// Per-request state: the signed-in user (if any) and the session token they used.
public struct CairnRequestContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: User?
    public var sessionID: SessionID?
    /// Set from the configuration by the first middleware.
    public var uploadLimit: Int = 1 << 20

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { uploadLimit }
    public var requestDecoder: some RequestDecoder { CairnRequestDecoder() }
}
