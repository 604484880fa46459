import Foundation
import MailpoolCore
import Testing

@Test(arguments: ["coa@contoso.example", "a%2Fb%40c", "%E2%82%AC%20lot", "Gr%C3%B6%C3%9Fe", "%41%6a", "plain", "",
                  "%", "%4", "%ZZ", "%C3", "%FF%FE", "100%"])
func percentDecodingAgreesWithFoundation(text: String) {
    #expect(text.percentDecoded == text.removingPercentEncoding)
}

@Test func percentEncodingRoundTrips() {
    for text in ["box 1/2@contoso.example", "Größe 証明書 🧪", "a+b=c&d", "%41"] {
        #expect(text.percentEncoded.percentDecoded == text)
    }
}
