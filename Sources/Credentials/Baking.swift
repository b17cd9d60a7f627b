import Foundation

/// Baked badges (Open Badges 3.0, "Baking"): the signed credential carried inside the
/// badge image, so the image file is the credential.
///
/// - PNG: one uncompressed `iTXt` chunk with the keyword `openbadgecredential` whose text
///   is the compact JWS, placed before `IEND`; a chunk already there is replaced.
/// - SVG: an `<openbadges:credential verify="JWS">` element in the
///   `https://purl.imsglobal.org/ob/v3p0` namespace, first inside the `<svg>` element.
public enum BakedBadge {
    public static let keyword = "openbadgecredential"
    public static let namespace = "https://purl.imsglobal.org/ob/v3p0"
    static let pngSignature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    // MARK: PNG

    public static func png(_ image: [UInt8], jwt: String) throws -> [UInt8] {
        let chunks = try pngChunks(image)
        var out = pngSignature
        // iTXt: keyword, NUL, compression flag 0, method 0, empty language tag and
        // translated keyword (each NUL-terminated), then the UTF-8 text.
        let data = Array(keyword.utf8) + [0, 0, 0, 0, 0] + Array(jwt.utf8)
        for chunk in chunks where !(chunk.type == "iTXt" && chunk.isCredential) {
            if chunk.type == "IEND" { out += encodedChunk("iTXt", data) }
            out += encodedChunk(chunk.type, chunk.data)
        }
        return out
    }

    /// The compact JWS baked into a PNG, or nil when there is none.
    public static func jwt(png: [UInt8]) throws -> String? {
        for chunk in try pngChunks(png) where chunk.type == "iTXt" && chunk.isCredential {
            // Skip keyword + NUL, flag, method, language tag + NUL, translated keyword + NUL.
            var position = keyword.utf8.count + 3
            for _ in 0 ..< 2 {
                guard let end = chunk.data[position...].firstIndex(of: 0) else { throw CredentialError.malformed("the iTXt chunk is cut short") }
                position = end + 1
            }
            guard chunk.data[keyword.utf8.count + 1] == 0 else {
                throw CredentialError.malformed("the openbadgecredential chunk is compressed, which baking does not allow")
            }
            return String(decoding: chunk.data[position...], as: UTF8.self)
        }
        return nil
    }

    struct Chunk {
        var type: String
        var data: [UInt8]
        var isCredential: Bool { data.starts(with: Array(BakedBadge.keyword.utf8) + [0]) }
    }

    /// The chunks of a PNG, each CRC checked.
    static func pngChunks(_ bytes: [UInt8]) throws -> [Chunk] {
        guard bytes.starts(with: pngSignature) else { throw CredentialError.malformed("not a PNG image") }
        var chunks: [Chunk] = []
        var position = pngSignature.count
        while position + 12 <= bytes.count {
            let length = Int(bytes[position]) << 24 | Int(bytes[position + 1]) << 16 | Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            let typeStart = position + 4
            let dataStart = typeStart + 4
            guard dataStart + length + 4 <= bytes.count else { throw CredentialError.malformed("a PNG chunk runs past the end of the file") }
            let type = String(decoding: bytes[typeStart ..< dataStart], as: UTF8.self)
            let data = Array(bytes[dataStart ..< dataStart + length])
            let stored = bytes[dataStart + length ..< dataStart + length + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard stored == CRC32.checksum(Array(bytes[typeStart ..< dataStart + length])) else {
                throw CredentialError.malformed("the PNG chunk \(type) fails its CRC: the file is damaged")
            }
            chunks.append(Chunk(type: type, data: data))
            position = dataStart + length + 4
            if type == "IEND" { return chunks }
        }
        throw CredentialError.malformed("the PNG has no IEND chunk")
    }

    static func encodedChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let length = UInt32(data.count)
        let typed = Array(type.utf8) + data
        let crc = CRC32.checksum(typed)
        return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + typed
            + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
    }

    // MARK: SVG

    /// A badge image with the credential baked in: the Cairn mark and the badge's name.
    public static func svg(jwt: String, title: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="\(namespace)" viewBox="0 0 512 512" width="512" height="512" role="img" aria-label="\(escape(title))">
          <openbadges:credential verify="\(escape(jwt))"></openbadges:credential>
          <title>\(escape(title))</title>
          <circle cx="256" cy="256" r="230" fill="#e8f3ef" stroke="#1f6f5c" stroke-width="20"/>
          <path d="M256 110 L372 330 L140 330 Z" fill="#1f6f5c"/>
          <text x="256" y="392" text-anchor="middle" font-family="sans-serif" font-size="30" font-weight="700" fill="#1d2430">\(escape(String(title.prefix(28))))</text>
        </svg>

        """
    }

    /// The compact JWS baked into an SVG, or nil when there is none.
    public static func jwt(svg: String) -> String? {
        guard let element = svg.range(of: "<openbadges:credential"),
              let attribute = svg[element.upperBound...].range(of: "verify=\""),
              let end = svg[attribute.upperBound...].firstIndex(of: "\"")
        else { return nil }
        return String(svg[attribute.upperBound ..< end])
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// CRC-32 (ISO-HDLC, as PNG chunks use). Written here because Foundation has none and zlib's
/// is not exported by the compression package; it is the standard table-driven form.
enum CRC32 {
    static let table: [UInt32] = (0 ..< 256).map { value in
        var crc = UInt32(value)
        for _ in 0 ..< 8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        return crc
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
