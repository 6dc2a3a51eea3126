/// Standard base64 (RFC 4648 §4, with padding), as Engine.IO uses for binary packets over polling.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes.
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i < input.count {
            let b0 = input[i]
            let b1 = i + 1 < input.count ? input[i + 1] : 0
            let b2 = i + 2 < input.count ? input[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int(((b0 & 0x03) << 4) | (b1 >> 4))])
            out.append(i + 1 < input.count ? alphabet[Int(((b1 & 0x0F) << 2) | (b2 >> 6))] : UInt8(ascii: "="))
            out.append(i + 2 < input.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base64 with padding; `nil` for anything else.
    public static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        let input = Array(text)
        guard input.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var i = 0
        while i < input.count {
            let c0 = reverse[Int(input[i])], c1 = reverse[Int(input[i + 1])]
            guard c0 != 0xFF, c1 != 0xFF else { return nil }
            out.append((c0 << 2) | (c1 >> 4))
            if input[i + 2] == UInt8(ascii: "=") {
                guard input[i + 3] == UInt8(ascii: "="), i + 4 == input.count else { return nil }
            } else {
                let c2 = reverse[Int(input[i + 2])]
                guard c2 != 0xFF else { return nil }
                out.append(((c1 & 0x0F) << 4) | (c2 >> 2))
                if input[i + 3] == UInt8(ascii: "=") {
                    guard i + 4 == input.count else { return nil }
                } else {
                    let c3 = reverse[Int(input[i + 3])]
                    guard c3 != 0xFF else { return nil }
                    out.append(((c2 & 0x03) << 6) | c3)
                }
            }
            i += 4
        }
        return out
    }
}
