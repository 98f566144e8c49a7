import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router-dom';
import { Toaster } from 'sonner';
import { AuthProvider, RequireAuth } from './lib/auth.jsx';
import { LiveProvider } from './hooks/live.jsx';
import { useT } from './i18n/index.jsx';
import Layout from './components/Layout.jsx';
import GeneratePin from './pages/GeneratePin.jsx';
import Login from './pages/Login.jsx';
import Dashboard from './pages/Dashboard.jsx';
import NotFound from './pages/NotFound.jsx';

// Pages with heavy dependencies (Recharts) or rarely used load on demand.
const Analytics = lazy(() => import('./pages/Analytics.jsx'));
const SessionDetail = lazy(() => import('./pages/SessionDetail.jsx'));
const ApiKeys = lazy(() => import('./pages/ApiKeys.jsx'));

function Loading() {
  const t = useT();
  return (
    <p className="p-4 text-sm text-slate-600" role="status">
      {t('common.loading')}
    </p>
  );
}

export default function App() {
  return (
    <AuthProvider>
      <Toaster position="bottom-right" closeButton />
      <Routes>
        <Route path="/" element={<GeneratePin />} />
        <Route path="/login" element={<Login />} />
        <Route
          element={
            <RequireAuth>
              <LiveProvider>
                <Layout />
              </LiveProvider>
            </RequireAuth>
          }
        >
          <Route path="/dashboard" element={<Dashboard />} />
          <Route path="/analytics/:sessionId" element={<Suspense fallback={<Loading />}><Analytics /></Suspense>} />
          <Route path="/sessions/:sessionId" element={<Suspense fallback={<Loading />}><SessionDetail /></Suspense>} />
          <Route path="/api-keys" element={<Suspense fallback={<Loading />}><ApiKeys /></Suspense>} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </AuthProvider>
  );
}
