"""Reference data: regions, universities, directions and vouchers."""
import dataclasses

from marshmallow import fields

from common import programme
from common.contracts.base import Contract, region_field
from gateway.http import route
from common.contracts.registry import RegionOut, UniversityIn, UniversityOut


class UniversityQuery(Contract):
    region = region_field()


class DirectionOut(Contract):
    code = fields.String()
    en = fields.String()
    ru = fields.String()
    kk = fields.String()


class VoucherOut(Contract):
    kind = fields.String()
    hours = fields.Integer()
    reward_kzt = fields.Integer()
    credits = fields.Integer()


class ReferenceRoutes:

    @route("GET", "/api/v1/regions", summary="The 17 oblasts and 3 cities", tag="reference", public=True,
           response=RegionOut, many=True)
    def list_regions(self, request):
        return self.registry.list_regions()

    @route("GET", "/api/v1/universities", summary="Universities, by region", tag="reference", public=True,
           query=UniversityQuery, response=UniversityOut, many=True)
    def list_universities(self, request, query):
        return self.registry.list_universities(query.get("region"))

    @route("POST", "/api/v1/universities", summary="Add a university (admin)", tag="reference",
           body=UniversityIn, response=UniversityOut, status=201, errors=(409,))
    def add_university(self, request, body):
        return self.registry.add_university(body)

    @route("GET", "/api/v1/directions", summary="The programme's five directions", tag="reference",
           public=True, response=DirectionOut, many=True)
    def list_directions(self, request):
        return [{"code": code, **names} for code, names in programme.DIRECTIONS.items()]

    @route("GET", "/api/v1/vouchers", summary="The two vouchers: hours, reward and credits",
           tag="reference", public=True, response=VoucherOut, many=True)
    def list_vouchers(self, request):
        return [dataclasses.asdict(voucher) for voucher in programme.VOUCHERS.values()]
