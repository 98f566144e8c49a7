// Loaded lazily (App.jsx): Recharts stays out of the first bundle.
import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ArrowLeft, Download } from 'lucide-react';
import {
  Bar, BarChart, CartesianGrid, Cell, Legend, Line, LineChart, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis,
} from 'recharts';
import { useT } from '../i18n/index.jsx';
import { api } from '../lib/api.js';
import { toastError } from '../lib/errors.js';
import { useLive } from '../hooks/live.jsx';

const fmtDate = (d) => d.toISOString().slice(0, 10);

/** start_date/end_date (both included) of a preset, in the browser's calendar. */
export function presetRange(preset, today = new Date()) {
  const local = new Date(Date.UTC(today.getFullYear(), today.getMonth(), today.getDate()));
  const end = fmtDate(local);
  const days = { today: 0, '7d': 6, '30d': 29 }[preset] ?? 29;
  const start = new Date(local);
  start.setUTCDate(start.getUTCDate() - days);
  return { start_date: fmtDate(start), end_date: end };
}

const browserZone = () => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
};

const COLORS = ['#047857', '#2563eb', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#dc2626', '#475569', '#0d9488', '#9333ea'];

function Stat({ label, value, sub, testId }) {
  return (
    <div className="card p-4" data-testid={testId}>
      <p className="text-xs font-medium uppercase tracking-wide text-slate-600">{label}</p>
      <p className="mt-1 text-2xl font-semibold">{value}</p>
      {sub && <p className="text-xs text-slate-600">{sub}</p>}
    </div>
  );
}

function ChartCard({ title, children, testId }) {
  return (
    <section className="card p-4" data-testid={testId}>
      <h2 className="mb-2 text-sm font-semibold">{title}</h2>
      {/* The numbers are in the stats and the daily table; to assistive tech a chart is its title. */}
      <div className="h-64" role="img" aria-label={title}>
        <div className="h-full" aria-hidden="true">
          {children}
        </div>
      </div>
    </section>
  );
}

export default function Analytics() {
  const t = useT();
  const { sessionId } = useParams();
  const navigate = useNavigate();
  const { sessions } = useLive();
  const [preset, setPreset] = useState('30d');
  const [custom, setCustom] = useState(() => presetRange('30d'));
  const [rangeError, setRangeError] = useState(null);
  const [data, setData] = useState(null);
  const [loading, setLoading] = useState(true);
  const range = preset === 'custom' ? custom : presetRange(preset);
  const query = { ...range, tz: browserZone() };
  const key = JSON.stringify(query);

  const load = useCallback(async () => {
    const q = JSON.parse(key);
    if (q.start_date > q.end_date) {
      setRangeError(t('analytics.rangeOrder'));
      return;
    }
    setRangeError(null);
    setLoading(true);
    try {
      const { data: d } = await api.analytics(sessionId, q);
      setData(d);
    } catch (e) {
      if (e.details?.start_date || e.details?.end_date) setRangeError(e.details.start_date || e.details.end_date);
      toastError(t, e);
    } finally {
      setLoading(false);
    }
  }, [sessionId, key, t]);

  useEffect(() => {
    load();
  }, [load]);

  const exportCsv = async () => {
    try {
      const res = await api.analyticsCsv(sessionId, JSON.parse(key));
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `analytics-${sessionId.slice(0, 8)}-${range.start_date}-${range.end_date}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      toastError(t, e);
    }
  };

  const s = data?.summary;
  const types = data ? Object.entries(data.message_types).map(([name, value]) => ({ name: t(`type.${name}`), value })) : [];
  const pie = s
    ? [
        { name: t('analytics.private'), value: s.private_messages },
        { name: t('analytics.group'), value: s.group_messages },
      ]
    : [];
  const daily = data?.daily_breakdown || [];

  return (
    <div className="space-y-4">
      <Link to="/dashboard" className="inline-flex items-center gap-1 text-sm text-emerald-800 hover:underline">
        <ArrowLeft className="h-4 w-4" aria-hidden="true" />
        {t('nav.back')}
      </Link>
      <div className="flex flex-wrap items-end justify-between gap-3">
        <h1 className="text-xl font-semibold">{t('analytics.title')}</h1>
        <button type="button" className="btn-secondary" onClick={exportCsv} data-testid="export-csv">
          <Download className="h-4 w-4" aria-hidden="true" />
          {t('analytics.export')}
        </button>
      </div>
      <div className="card flex flex-wrap items-end gap-3 p-3">
        <div className="min-w-[12rem] flex-1">
          <label htmlFor="an-session" className="label">
            {t('analytics.session')}
          </label>
          <select
            id="an-session"
            className="input"
            value={sessionId}
            onChange={(e) => navigate(`/analytics/${e.target.value}`)}
            data-testid="session-select"
          >
            {(sessions || []).map((x) => (
              <option key={x.session_id} value={x.session_id}>
                {x.session_name}
              </option>
            ))}
            {!sessions?.some((x) => x.session_id === sessionId) && <option value={sessionId}>{data?.session_name || sessionId}</option>}
          </select>
        </div>
        <div>
          <span className="label" id="an-range">
            {t('analytics.range')}
          </span>
          <div className="flex flex-wrap gap-1" role="group" aria-labelledby="an-range">
            {['today', '7d', '30d', 'custom'].map((p) => (
              <button
                key={p}
                type="button"
                aria-pressed={preset === p}
                className={`btn px-2.5 py-1.5 text-xs ${preset === p ? 'bg-slate-800 text-white' : 'border border-slate-300 bg-white text-slate-800'}`}
                onClick={() => setPreset(p)}
                data-testid={`range-${p}`}
              >
                {t(`analytics.preset.${p}`)}
              </button>
            ))}
          </div>
        </div>
        {preset === 'custom' && (
          <div className="flex flex-wrap gap-2">
            <div>
              <label htmlFor="an-from" className="label">
                {t('analytics.from')}
              </label>
              <input id="an-from" type="date" className="input" value={custom.start_date} onChange={(e) => setCustom((c) => ({ ...c, start_date: e.target.value }))} />
            </div>
            <div>
              <label htmlFor="an-to" className="label">
                {t('analytics.to')}
              </label>
              <input id="an-to" type="date" className="input" value={custom.end_date} onChange={(e) => setCustom((c) => ({ ...c, end_date: e.target.value }))} />
            </div>
          </div>
        )}
        {rangeError && (
          <p className="w-full text-sm text-red-700" role="alert">
            {rangeError}
          </p>
        )}
      </div>

      {loading && !data && <p className="text-sm text-slate-600">{t('common.loading')}</p>}
      {s && (
        <>
          <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
            <Stat label={t('analytics.total')} value={s.total_messages.toLocaleString()} testId="stat-total" />
            <Stat label={t('analytics.aiHandled')} value={s.messages_handled_by_ai.toLocaleString()} sub={t('analytics.successRate', { p: s.success_rate })} />
            <Stat label={t('analytics.avgResponse')} value={`${s.average_response_time_ms} ms`} />
            <Stat label={t('analytics.uptime')} value={`${s.uptime_percentage}%`} />
          </div>
          <div className="grid gap-3 lg:grid-cols-2">
            <ChartCard title={t('analytics.overTime')} testId="chart-line">
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={daily} margin={{ top: 5, right: 10, left: -20, bottom: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="date" tick={{ fontSize: 11 }} tickFormatter={(d) => d.slice(5)} />
                  <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
                  <Tooltip />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                  <Line type="monotone" dataKey="total_messages" name={t('analytics.total')} stroke="#047857" dot={false} isAnimationActive={false} />
                  <Line type="monotone" dataKey="ai_handled" name={t('analytics.aiHandled')} stroke="#2563eb" dot={false} isAnimationActive={false} />
                  <Line type="monotone" dataKey="errors" name={t('analytics.errors')} stroke="#dc2626" dot={false} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </ChartCard>
            <ChartCard title={t('analytics.privateVsGroup')} testId="chart-pie">
              <ResponsiveContainer width="100%" height="100%">
                <PieChart>
                  <Pie data={pie} dataKey="value" nameKey="name" innerRadius="45%" outerRadius="75%" isAnimationActive={false} label rootTabIndex={-1}>
                    {pie.map((_, i) => (
                      <Cell key={i} fill={COLORS[i]} />
                    ))}
                  </Pie>
                  <Tooltip />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                </PieChart>
              </ResponsiveContainer>
            </ChartCard>
            <ChartCard title={t('analytics.peakHours')} testId="chart-peak">
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={data.peak_hours} margin={{ top: 5, right: 10, left: -20, bottom: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="hour" tick={{ fontSize: 11 }} />
                  <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
                  <Tooltip />
                  <Bar dataKey="count" name={t('analytics.messages')} fill="#047857" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </ChartCard>
            <ChartCard title={t('analytics.types')} testId="chart-types">
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={types} margin={{ top: 5, right: 10, left: -20, bottom: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="name" tick={{ fontSize: 10 }} interval={0} angle={-35} textAnchor="end" height={50} />
                  <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
                  <Tooltip />
                  <Bar dataKey="value" name={t('analytics.messages')} isAnimationActive={false}>
                    {types.map((_, i) => (
                      <Cell key={i} fill={COLORS[i % COLORS.length]} />
                    ))}
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            </ChartCard>
          </div>
          <section className="card overflow-x-auto" data-testid="daily-table">
            <h2 className="px-4 pt-4 text-sm font-semibold">{t('analytics.daily')}</h2>
            <table className="mt-2 w-full min-w-[28rem] text-left text-sm">
              <thead className="border-b border-slate-200 text-xs uppercase text-slate-600">
                <tr>
                  <th scope="col" className="px-4 py-2">{t('analytics.date')}</th>
                  <th scope="col" className="px-4 py-2 text-right">{t('analytics.total')}</th>
                  <th scope="col" className="px-4 py-2 text-right">{t('analytics.aiHandled')}</th>
                  <th scope="col" className="px-4 py-2 text-right">{t('analytics.avgResponseMs')}</th>
                  <th scope="col" className="px-4 py-2 text-right">{t('analytics.errors')}</th>
                </tr>
              </thead>
              <tbody>
                {[...daily].reverse().map((d) => (
                  <tr key={d.date} className="border-b border-slate-100 last:border-0">
                    <td className="px-4 py-1.5 font-mono text-xs">{d.date}</td>
                    <td className="px-4 py-1.5 text-right">{d.total_messages}</td>
                    <td className="px-4 py-1.5 text-right">{d.ai_handled}</td>
                    <td className="px-4 py-1.5 text-right">{d.avg_response_time_ms}</td>
                    <td className="px-4 py-1.5 text-right">{d.errors}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
    </div>
  );
}
