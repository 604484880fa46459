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

@Test func obsoleteDateFormsParse() {
    let expected: Double = 1_795_773_600  // Fri, 27 Nov 2026 10:00:00 UTC
    #expect(RFC5322Date.parse("Fri, 27 Nov 2026 10:00:00 GMT") == expected)
    #expect(RFC5322Date.parse("Fri, 27 Nov 2026 10:00:00 UT") == expected)
    #expect(RFC5322Date.parse("Fri, 27 Nov 2026 05:00:00 EST") == expected)
    #expect(RFC5322Date.parse("Fri, 27 Nov 2026 03:00:00 PDT (Pacific)") == expected)
    #expect(RFC5322Date.parse("Fri, 27 Nov 2026 10:00 +0000") == expected, "without seconds")
    #expect(RFC5322Date.parse("Fri, 27 Nov 26 10:00:00 +0000") == expected, "two-digit year")
    #expect(RFC5322Date.parse("27 Nov 126 10:00:00 +0000") == expected, "three-digit year")
    #expect(RFC5322Date.parse("Friday, 27 November 2026 10:00:00 -0000") == expected, "-0000 is UT")
    #expect(RFC5322Date.parse("Fri, 27 Nov 99 10:00:00 +0000") == 943_696_800, "99 is 1999")
    #expect(RFC5322Date.parse("Fri, 27 Nov 2026 10:00:00") == nil, "no zone")
    #expect(RFC5322Date.parse("Fri, 27 Nov 2026 10:00:00 XYZ") == nil, "unknown zone")
}
