"""The resource list's value column through the gateway: a resource given a unit value
and a quantity is worth their product in the export, not 0."""
import io

from openpyxl import load_workbook


def test_a_resource_valued_per_unit_exports_its_whole_value(stack):
    stack.start("resources", "gateway")
    client = stack.client()
    created = client.post("/resources", json={
        "type": "material", "title": "助老爱心餐券", "target_groups": ["elderly"],
        "quantity": 40, "unit_value_yuan": 25.5})
    assert created.status_code == 201, created.text
    stated = client.post("/resources", json={
        "type": "material", "title": "爱心书包", "target_groups": ["children"],
        "quantity": 20, "value_yuan": 1600, "unit_value_yuan": 70})
    assert stated.status_code == 201, stated.text

    response = client.get("/resources/export", params={"format": "xlsx"})
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["资源清单"]
    headers = [c.value for c in sheet[1]]
    rows = {row[headers.index("资源名称")]: row[headers.index("估值（元）")]
            for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["助老爱心餐券"] == 1020.0
    assert rows["爱心书包"] == 1600  # a stated total value stands
    about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True)}
    assert about["估值合计（元）"] == round(sum(v for v in rows.values()), 2)
