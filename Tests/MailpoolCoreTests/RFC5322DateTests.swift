import MailpoolCore
import Testing

@Test func rfc5322DatesAreUTCWithEnglishNames() {
    #expect(RFC5322Date.string(secondsSince1970: 0) == "Thu, 01 Jan 1970 00:00:00 +0000")
    #expect(RFC5322Date.string(secondsSince1970: 1_795_773_600) == "Fri, 27 Nov 2026 10:00:00 +0000")
}

@Test func rfc5322DatesParseWithOrWithoutDayNameZoneAndComment() {
    #expect(RFC5322Date.parse("Fri, 27 Nov 2026 10:00:00 +0000") == 1_795_773_600)
    #expect(RFC5322Date.parse("27 Nov 2026 11:30:00 +0130 (CET)") == 1_795_773_600)
    #expect(RFC5322Date.parse("Fri, 27 Nov 2026 05:00:00 -0500") == 1_795_773_600)
    #expect(RFC5322Date.parse("yesterday") == nil)
}
