"""Reference data every service reads the same way: provincial divisions and carbon exchanges."""

from __future__ import annotations

__all__ = ["EXCHANGES", "LEGACY_EXCHANGES", "NEW_CCER_EXCHANGE", "PROVINCES"]

# GB/T 2260 provincial-level division codes (domain.md §2: a province sees its own region).
PROVINCES: dict[str, str] = {
    "110000": "北京市",
    "120000": "天津市",
    "130000": "河北省",
    "140000": "山西省",
    "150000": "内蒙古自治区",
    "210000": "辽宁省",
    "220000": "吉林省",
    "230000": "黑龙江省",
    "310000": "上海市",
    "320000": "江苏省",
    "330000": "浙江省",
    "340000": "安徽省",
    "350000": "福建省",
    "360000": "江西省",
    "370000": "山东省",
    "410000": "河南省",
    "420000": "湖北省",
    "430000": "湖南省",
    "440000": "广东省",
    "450000": "广西壮族自治区",
    "460000": "海南省",
    "500000": "重庆市",
    "510000": "四川省",
    "520000": "贵州省",
    "530000": "云南省",
    "540000": "西藏自治区",
    "610000": "陕西省",
    "620000": "甘肃省",
    "630000": "青海省",
    "640000": "宁夏回族自治区",
    "650000": "新疆维吾尔自治区",
    "660000": "新疆生产建设兵团",
}

# The national voluntary-reduction exchange (new CCER) and the nine legacy CCER exchanges.
NEW_CCER_EXCHANGE = "CBGEX"
EXCHANGES: dict[str, str] = {
    "CBGEX": "北京绿色交易所（全国温室气体自愿减排交易）",
    "CBEEX": "北京绿色交易所",
    "TCX": "天津排放权交易所",
    "SEEE": "上海环境能源交易所",
    "CEEX": "广州碳排放权交易中心",
    "CNEEEX": "深圳排放权交易所",
    "HBEX": "湖北碳排放权交易中心",
    "CQUAEE": "重庆联合产权交易所",
    "SCEEX": "四川联合环境交易所",
    "HXEE": "海峡股权交易中心",
}
LEGACY_EXCHANGES: tuple[str, ...] = tuple(code for code in EXCHANGES if code != NEW_CCER_EXCHANGE)
