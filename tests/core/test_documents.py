"""Printable documents embed a Chinese font, so their text can be read back."""

import io
from datetime import date

from pypdf import PdfReader

from core.documents import Document, chinese_date, yuan


def text_of(pdf: bytes) -> str:
    """All text of a PDF."""
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_document_text_is_chinese_and_readable():
    document = Document("株洲市市长质量奖获奖名单公告")
    document.paragraph("经市人民政府批准，现将获奖名单公告如下。")
    document.table(["序号", "单位名称"], [[1, "株洲示范轨道交通装备有限公司"]])
    document.signature("株洲市人民政府", date(2026, 12, 3))

    text = text_of(document.render())

    assert "获奖名单公告" in text
    assert "株洲示范轨道交通装备有限公司" in text
    assert "2026年12月3日" in text


def test_chinese_date_and_yuan_formats():
    assert chinese_date(date(2027, 3, 31)) == "2027年3月31日"
    assert yuan(500000) == "500,000.00"
