// TLSChatVersion: the one version string every executable reports with
// `--version` (tlschatd, tlschat, tlschat-bench), and tlschatd's greeting
// names its software only as "tlschatd". It holds no build metadata: the
// version is bumped by hand when a release is tagged.

public enum TLSChatVersion {
    public static let string = "0.11.0"
}
